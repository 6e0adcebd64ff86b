/**
 * Running programs already loaded in the shared state, with their live maps: `xdpts run
 * --pinned/--id/--name`, bpftool's `xdpts prog run pinned P data_in F [data_out G] [repeat N]`,
 * and `xdpts run prog.o --map-init maps.json`. Ground truth recorded on Linux 6.18 with bpftool
 * 7.1 for examples/blocklist/blocklist.o: after `map update pinned .../blocklist key 24 0 0 0 10
 * 0 0 0 value 7 0 0 0`, `prog run` on PKT gives `{"retval":1}` with data_out = PKT, and `map
 * dump -j` of drops gives key 7 → {"packets":1,"bytes":34}; a source outside the prefix gives
 * retval 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');
const tmp = mkdtempSync(join(tmpdir(), 'xdptsL_live-'));
const env = { ...process.env, XDPTS_STATE_DIR: join(tmp, 'state'), NO_COLOR: '1' };
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function xdpts(...args: string[]): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const OBJ = 'examples/blocklist/blocklist.o';
// Ethernet + IPv4 (UDP) from 10.0.0.9 (inside 10.0.0.0/24) and from 10.0.1.9 (outside).
const PKT = 'ffffffffffff02000000000108004500001400000000401100000a0000090a000002';
const PKT_OUT = 'ffffffffffff02000000000108004500001400000000401100000a0001090a000002';
const DROPS_AFTER_ONE = [{ key: '07000000', value: '01000000000000002200000000000000', formatted: { key: 7, value: { packets: 1, bytes: 34 } } }];

describe('running a loaded program with its live maps', { timeout: 300_000 }, () => {
  it('run --pinned, --id and --name, and prog run pinned, use and change the live maps', () => {
    expect(xdpts('load', '-m', 'skb', 'eth0', OBJ).exit).toBe(0);
    expect(xdpts('prog', 'pin', 'name', 'xdp_blocklist', '/sys/fs/bpf/blk').exit).toBe(0);
    expect(xdpts('map', 'update', 'name', 'blocklist', 'key', '24', '0', '0', '0', '10', '0', '0', '0', 'value', '7', '0', '0', '0').exit).toBe(0);
    const r = xdpts('run', '--pinned', '/sys/fs/bpf/blk', '--packet', PKT, '--json');
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ r0: '0x1', action: 'XDP_DROP', packet: PKT });
    expect(j.maps.drops).toEqual(DROPS_AFTER_ONE);
    expect(j.maps.blocklist).toEqual([{ key: '180000000a000000', value: '07000000', formatted: { key: { prefixlen: 24, addr: 10 }, value: 7 } }]);
    // The map write stayed in the state: map dump sees it.
    expect(JSON.parse(xdpts('map', 'dump', 'name', 'drops', '-j').stdout)[0].formatted).toEqual({ key: 7, value: { packets: 1, bytes: 34 } });
    const byId = JSON.parse(xdpts('run', '--id', '1', '--packet', PKT_OUT, '--json').stdout);
    expect(byId.action).toBe('XDP_PASS');
    expect(JSON.parse(xdpts('run', '--name', 'xdp_blocklist', '--packet', PKT, '--json').stdout).maps.drops[0].formatted.value).toEqual({ packets: 2, bytes: 68 });

    const inF = join(tmp, 'pkt.bin');
    const outF = join(tmp, 'out.bin');
    writeFileSync(inF, Buffer.from(PKT, 'hex'));
    const p = xdpts('prog', 'run', 'pinned', '/sys/fs/bpf/blk', 'data_in', inF, 'data_out', outF, 'repeat', '3');
    expect(p.exit, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^Return value: 1, duration \(average\): \d+ns\n$/);
    expect(readFileSync(outF).toString('hex')).toBe(PKT);
    const pj = JSON.parse(xdpts('prog', 'run', 'pinned', '/sys/fs/bpf/blk', 'data_in', inF, 'data_out', '-', '-j').stdout);
    expect(pj.retval).toBe(1);
    expect(Buffer.from(pj.data_out).toString('hex')).toBe(PKT);
    expect(JSON.parse(xdpts('map', 'dump', 'name', 'drops', '-j').stdout)[0].formatted.value).toEqual({ packets: 6, bytes: 204 });
  });

  it('names what is missing, with bpftool\'s words and exit codes, never a stack', () => {
    const none = xdpts('run', '--pinned', '/sys/fs/bpf/nope', '--packet', PKT);
    expect(none.exit).toBe(1);
    expect(none.stderr).toBe('xdpts: bpf obj get (/sys/fs/bpf/nope): No such file or directory\n');
    expect(xdpts('run', '--id', '99', '--packet', PKT, '--json').stdout).toMatch(/"error":\{"message":"get by id \(99\): No such file or directory"/);
    expect(xdpts('run', '--name', 'nope', '--packet', PKT).stderr).toBe('xdpts: no loaded program with name nope\n');
    const both = xdpts('run', OBJ, '--pinned', '/sys/fs/bpf/blk', '--packet', PKT);
    expect(both.exit).toBe(2);
    expect(both.stderr).toMatch(/give them without an object file/);
    const usage = xdpts('prog', 'run', 'pinned', '/sys/fs/bpf/blk');
    expect(usage.exit).toBe(2);
    expect(usage.stderr).toBe("Error: 'run' needs at least 4 arguments, 2 found\n");
  });

  it('run prog.o --map-init starts from given map contents (hex, bpftool byte lists or BTF-shaped)', () => {
    const f = join(tmp, 'maps.json');
    writeFileSync(
      f,
      JSON.stringify({
        blocklist: [{ key: { prefixlen: 24, addr: '10.0.0.0' }, value: 7 }],
        drops: [{ key: '07000000', value: ['0x01', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x22', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00'] }],
      }),
    );
    const r = xdpts('run', OBJ, '--map-init', f, '--packet', PKT, '--json');
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.action).toBe('XDP_DROP');
    expect(j.maps.drops[0].formatted.value).toEqual({ packets: 2, bytes: 68 });
    // The maps of one run --json start the next one.
    writeFileSync(f, JSON.stringify(j.maps));
    expect(JSON.parse(xdpts('run', OBJ, '--map-init', f, '--packet', PKT, '--json').stdout).maps.drops[0].formatted.value).toEqual({ packets: 3, bytes: 102 });
    writeFileSync(f, JSON.stringify({ blocklst: [] }));
    expect(xdpts('run', OBJ, '--map-init', f, '--packet', PKT)).toMatchObject({ exit: 2, stderr: `xdpts: --map-init ${f}: no map 'blocklst' (maps: blocklist, drops)\n` });
    writeFileSync(f, JSON.stringify({ blocklist: [{ key: { prefixlen: 24, adr: 1 }, value: 1 }] }));
    expect(xdpts('run', OBJ, '--map-init', f, '--packet', PKT).stderr).toBe(
      `xdpts: --map-init ${f}: map 'blocklist' entry 0: map blocklist: key: no field 'adr' (fields: prefixlen, addr)\n`,
    );
  });

  it('a program the verifier refuses: the log, then one line naming the program, exit 1', () => {
    const r = xdpts('run', 'fixtures/api/refused.o', '--packet', PKT);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/invalid access to packet, off=12 size=1/);
    expect(r.stderr).toMatch(/xdpts: the verifier refused program 'xdp_unchecked'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
