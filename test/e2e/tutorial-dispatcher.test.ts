/**
 * The tutorial through the CLI with libxdp's dispatcher (xdpts's default, as the tutorial shows):
 * the status table with the `xdp_dispatcher` row and ` =>` rows in the geometry of reference
 * §1.2 (the sample there: ids and the dispatcher's tag differ per run), `ip link` naming the
 * dispatcher, bpftool views (components are `ext`), the counter rising with traffic, and the
 * state lock: 16 parallel `xdpts inject` on a counter lose no increment.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildObjects, xdpts } from './tutorial-flow';

const ROOT = join(__dirname, '..', '..');
const SETUP = [
  'ip netns add net',
  'ip link add veth1 type veth peer name veth2 netns net',
  'ip addr add 192.168.1.1/24 dev veth1',
  'ip netns exec net ip addr add 192.168.1.2/24 dev veth2',
  'ip link set veth1 up',
  'ip netns exec net ip link set veth2 up',
];

/** Masks the ID column (width kept) and the dispatcher's tag. */
function maskStatus(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^(.{50})(\d+ *)( [0-9a-f]{16})/, (_m, a: string, id: string, t: string) => `${a}${'N'.padEnd(id.length)}${a.includes('xdp_dispatcher') ? ' DISPATCHER_TAG__' : t}`))
    .join('\n');
}

describe('tutorial with the dispatcher, through the CLI', () => {
  let objs = '';
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
    objs = buildObjects();
  });

  it('load, status, ip link, prog show, unload as the tutorial shows them', () => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-disp-')), XDPTS_SEED: '7' };
    const run = (c: string) => xdpts(c.split(' '), env, objs);
    for (const c of SETUP) expect(run(c).exit).toBe(0);
    expect(run('load -m skb -s xdp_drop veth1 xdp_drop.o')).toEqual({ exit: 0, stdout: '', stderr: '' });
    // Reference §1.2 dispatcher layout (tutorial names), ids and the dispatcher tag masked.
    expect(maskStatus(run('status').stdout)).toBe(
      [
        'CURRENT XDP PROGRAM STATUS:',
        '',
        'Interface        Prio  Program name      Mode     ID   Tag               Chain actions',
        '--------------------------------------------------------------------------------------',
        'lo                     <No XDP program loaded!>',
        'eth0                   <No XDP program loaded!>',
        'veth1                  xdp_dispatcher    skb      N    DISPATCHER_TAG__ ',
        ' =>              50     xdp_drop_prog             N    b11459a0e11ca14c  XDP_PASS',
        '',
        '',
      ].join('\n'),
    );
    const link = run('ip link show veth1').stdout.split('\n');
    expect(link[0]).toMatch(/^3: veth1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 xdpgeneric qdisc noqueue state UP mode DEFAULT group default qlen 1000$/);
    expect(link[2]).toMatch(/^ {4}prog\/xdp id \d+ name xdp_dispatcher tag [0-9a-f]{16} jited $/);
    const progs = JSON.parse(run('prog show --json').stdout) as { id: number; type: string; name: string; tag: string }[];
    expect(progs.map((p) => [p.type, p.name])).toEqual([
      ['ext', 'xdp_drop_prog'],
      ['xdp', 'xdp_dispatcher'],
    ]);
    const dispId = progs[1]!.id;
    expect(link[2]).toContain(`id ${dispId} `);
    // A second program: a new dispatcher id, the first component keeps its id.
    expect(run('load -m skb -P 60 -A XDP_DROP,XDP_PASS veth1 counter.o').exit).toBe(0);
    const st = run('status veth1 --json');
    const j = JSON.parse(st.stdout) as { programs: { id: number; components: { id: number; name: string; priority: number; chain_call_actions: string[] }[] }[] }[];
    expect(j[0]!.programs[0]!.id).toBeGreaterThan(dispId);
    expect(j[0]!.programs[0]!.components.map((c) => [c.id, c.name, c.priority, c.chain_call_actions.join(',')])).toEqual([
      [progs[0]!.id, 'xdp_drop_prog', 50, 'XDP_PASS'],
      [expect.any(Number), 'count_packets', 60, 'XDP_DROP,XDP_PASS'],
    ]);
    expect(maskStatus(run('status veth1').stdout).split('\n').slice(4, 7)).toEqual([
      'veth1                  xdp_dispatcher    skb      N    DISPATCHER_TAG__ ',
      ' =>              50     xdp_drop_prog             N    b11459a0e11ca14c  XDP_PASS',
      ' =>              60     count_packets             N    0afa56fcd9325709  XDP_DROP,XDP_PASS',
    ]);
    expect(run('ping -c 3 192.168.1.2').exit).toBe(1); // silent loss: the drop ends the chain
    expect(run('unload veth1 --all')).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(run('ping -c 1 192.168.1.2').exit).toBe(0);
    expect(run('prog show').stdout).toBe('');
    // Deleting the veth detaches and frees everything (programs, maps, the dispatcher's pins).
    expect(run('load -m skb veth1 counter.o').exit).toBe(0);
    expect(run('ip link set veth1 down').exit).toBe(0);
    expect(run('status veth1').stdout).toContain('xdp_dispatcher'); // link down keeps it
    expect(run('ip link set veth1 up').exit).toBe(0);
    expect(run('ip link del veth1').exit).toBe(0);
    expect(run('prog show').stdout).toBe('');
    expect(run('map show').stdout).toBe('');
    expect(run('ip link add veth1 type veth peer name veth2 netns net').exit).toBe(0);
    expect(run('features veth1').stdout).toBe(
      'NETDEV_XDP_ACT_BASIC:\t\tyes\nNETDEV_XDP_ACT_REDIRECT:\tyes\nNETDEV_XDP_ACT_NDO_XMIT:\tno\nNETDEV_XDP_ACT_XSK_ZEROCOPY:\tno\nNETDEV_XDP_ACT_HW_OFFLOAD:\tno\nNETDEV_XDP_ACT_RX_SG:\t\tyes\nNETDEV_XDP_ACT_NDO_XMIT_SG:\tno\n',
    );
  }, 60_000);

  it('the counter on eth0 rises with traffic; 16 parallel injects lose no increment', async () => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-cnt-')), XDPTS_SEED: '7' };
    const run = (c: string) => xdpts(c.split(' '), env, objs);
    expect(run('load -m skb eth0 counter.o').exit).toBe(0);
    expect(run('map dump name pkt_count').stdout).toBe('[{\n        "key": 0,\n        "value": 0\n    }\n]\n');
    expect(run('ping -c 2 10.0.2.2').exit).toBe(0);
    // ARP reply + 2 echo replies (the ARP request is sent, not received, by eth0).
    expect(run('map lookup name pkt_count key 0 0 0 0').stdout).toBe('{\n    "key": 0,\n    "value": 3\n}\n');
    // A frame of an unknown ethertype: the stack ignores it, so each inject counts exactly one.
    const hex = `02000000000102000000000288b5${'00'.repeat(46)}`;
    const one = (): Promise<number> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [join(ROOT, 'bin', 'xdpts'), 'inject', 'eth0', '--packet', hex], { env: { ...process.env, XDPTS_REALTIME: '0', ...env }, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all(Array.from({ length: 16 }, one));
    expect(codes).toEqual(Array(16).fill(0));
    const dump = JSON.parse(run('map dump name pkt_count --json').stdout) as { formatted: { value: number } }[];
    expect(dump[0]!.formatted.value).toBe(3 + 16);
  }, 60_000);
});
