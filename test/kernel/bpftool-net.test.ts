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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('xdpts net and -p through the CLI', () => {
  it('net show, net -j, net -p and prog show -p over a tutorial load', () => {
    const root = join(__dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-net-'));
    const env = { ...process.env, XDPTS_STATE_DIR: dir, XDPTS_REALTIME: '0', NO_COLOR: '1' };
    const x = (...a: string[]) => spawnSync(process.execPath, [join(root, 'bin/xdpts'), ...a], { env, encoding: 'utf8' });
    try {
      expect(x('build', join(root, 'programs/xdp_drop.asm'), '-o', join(dir, 'd.o')).status).toBe(0);
      expect(x('ip', 'link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', 'veth2').status).toBe(0);
      expect(x('load', '-m', 'skb', 'veth1', join(dir, 'd.o')).status).toBe(0);
      const text = x('net', 'show').stdout.split('\n');
      expect(text[0]).toBe('xdp:');
      expect(text[1]).toMatch(/^veth1\(\d+\) generic id \d+$/);
      expect(text.slice(2)).toEqual(['', 'tc:', '', 'flow_dissector:', '', '']);
      const j = JSON.parse(x('net', '-j').stdout) as unknown;
      expect(x('net', '-p').stdout).toBe(`${jsonwPretty(j).join('\n')}\n`);
      const progs = JSON.parse(x('prog', 'show', '-j').stdout) as { id: number }[];
      const pretty = x('prog', 'show', '-p').stdout;
      expect(pretty.startsWith('[{\n        "id": ')).toBe(true);
      expect(JSON.parse(pretty)).toHaveLength(progs.length);
      expect(x('net', 'show', 'dev', 'nope')).toMatchObject({ status: 2, stderr: 'Error: invalid devname nope\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
