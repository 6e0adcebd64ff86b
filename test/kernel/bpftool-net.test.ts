/**
 * `bpftool net show|list [dev NAME]` and bpftool's `-p` writer. The expected texts are bpftool
 * 7.1.0's on Linux 6.18, recorded in a namespace with a veth pair, xdp_drop attached generic to
 * one end (ifindex 3) and driver to the other (ifindex 2) by `ip link set ... xdpgeneric|xdpdrv`:
 *
 *   xdp:
 *   nt_q2(2) driver id 224509
 *   nt_q1(3) generic id 224505
 *   (blank) tc: (blank) flow_dissector: (blank)
 *
 * here with the emulated world's names, ifindexes and ids put in.
 */
import { describe, expect, it } from 'vitest';
import { jsonwPretty, netShow, parseLoadArgs, XdpLoader, type LoadArgs } from '../../src/kernel/index';
import { ROOT_NS } from '../../src/net/index';
import { makeWorld, xdpObject } from './xdp-fixture';

function world(): { w: ReturnType<typeof makeWorld>; ids: { v1: number; v3: number } } {
  const w = makeWorld();
  const f = new Map([['drop.o', xdpObject('xdp_drop_prog', 'r0 = 1\nexit', { btf: false })]]);
  const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p), dispatcher: false });
  for (const argv of ['-m skb v3 drop.o', '-m native v1 drop.o']) {
    const a = parseLoadArgs(argv.split(' '));
    expect(l.load(a.ok ? (a.value as LoadArgs) : (undefined as never)).exit).toBe(0);
  }
  const id = (dev: string): number => w.mgr.attachmentsOf(ROOT_NS, w.ifindex(ROOT_NS, dev))[0]!.progId;
  return { w, ids: { v1: id('v1'), v3: id('v3') } };
}

describe('bpftool net show', () => {
  it('lists the XDP attachments in ifindex order, then the empty tc and flow_dissector sections', () => {
    const { w, ids } = world();
    const v1 = w.ifindex(ROOT_NS, 'v1');
    const v3 = w.ifindex(ROOT_NS, 'v3');
    expect(v1).toBeLessThan(v3);
    expect(netShow(w.mgr, ROOT_NS, [], false).stdout).toEqual(['xdp:', `v1(${v1}) driver id ${ids.v1}`, `v3(${v3}) generic id ${ids.v3}`, '', 'tc:', '', 'flow_dissector:', '']);
    expect(netShow(w.mgr, ROOT_NS, ['dev', 'v3'], false).stdout).toEqual(['xdp:', `v3(${v3}) generic id ${ids.v3}`, '', 'tc:', '', 'flow_dissector:', '']);
    expect(JSON.stringify(netShow(w.mgr, ROOT_NS, [], true).json)).toBe(
      `[{"xdp":[{"devname":"v1","ifindex":${v1},"mode":"driver","id":${ids.v1}},{"devname":"v3","ifindex":${v3},"mode":"generic","id":${ids.v3}}],"tc":[],"flow_dissector":[]}]`,
    );
  });

  it('refuses an unknown device as bpftool does (exit 255)', () => {
    const { w } = world();
    expect(netShow(w.mgr, ROOT_NS, ['dev', 'nope'], false)).toMatchObject({ exit: 255, stderr: ['Error: invalid devname nope'] });
  });
});

describe("bpftool's pretty JSON writer (-p)", () => {
  it('writes net show -p as bpftool 7.1.0 does', () => {
    expect(jsonwPretty([{ xdp: [{ devname: 'nt_q1', ifindex: 3, mode: 'generic', id: 224505 }], tc: [], flow_dissector: [] }])).toEqual([
      '[{',
      '        "xdp": [{',
      '                "devname": "nt_q1",',
      '                "ifindex": 3,',
      '                "mode": "generic",',
      '                "id": 224505',
      '            }',
      '        ],',
      '        "tc": [],',
      '        "flow_dissector": []',
      '    }',
      ']',
    ]);
  });
  it('puts array elements after `},` on the same line, and keeps empty containers closed', () => {
    expect(jsonwPretty({ a: [{ x: 1 }, { x: 2 }], b: {}, c: [1, 2] }).join('\n')).toBe('{\n    "a": [{\n            "x": 1\n        },{\n            "x": 2\n        }\n    ],\n    "b": {},\n    "c": [1,2\n    ]\n}');
  });
});
