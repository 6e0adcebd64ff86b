// `xdpts test` at scale (issue 11's goal): 1,000 cases of the example parser, CPU time of the
// whole process (start-up included; user + sys from /usr/bin/time where it exists, else wall
// time), without and with --coverage, and with every case `fresh: true`. Goals: under 2 s, and
// coverage at most 2x.
//   node bench/test-runner.mjs   (npm run bench runs it after the other tables)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/xdpts');
const dir = mkdtempSync(join(tmpdir(), 'xdpts-bench-tests-'));
const n = 1000;
const cases = Array.from({ length: n }, (_, i) => `  - name: case ${i}
    packet: eth()/ipv4(src=192.0.2.${i % 250}, ttl=${(i % 60) + 2})/udp(sport=${1000 + i}, dport=53)/payload(len=${i % 64})
    expect: { action: XDP_PASS, packet: { ipv4.ttl: ${(i % 60) + 1}, ipv4.checksum: valid } }`).join('\n');
const file = join(dir, 'many.test.yaml');
writeFileSync(file, `object: ${join(root, 'examples/tests/parser.o')}\ntests:\n${cases}\n`);
const freshFile = join(dir, 'fresh.test.yaml');
writeFileSync(freshFile, `object: ${join(root, 'examples/tests/parser.o')}\ntests:\n${cases.replace(/^( {2}- name: .*)$/gm, '$1\n    fresh: true')}\n`);

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function cost(extra, path = file) {
  const t0 = process.hrtime.bigint();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', '%U %S', process.execPath, bin, 'test', path, ...extra], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(process.execPath, [bin, 'test', path, ...extra], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.stdout.includes(`${n} passed`)) throw new Error(`xdpts test did not pass all cases:\n${r.stdout}\n${r.stderr}`);
  if (!timeBin) return { ms: wall, what: 'wall' };
  const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { ms: (u + s) * 1000, what: 'CPU' };
}

const plain = cost([]);
const covered = cost(['--coverage']);
const fresh = cost([], freshFile);
console.log(`\nxdpts test, ${n} parser cases (${plain.what} time, start-up included; goal < 2000 ms, coverage <= 2x):`);
console.log(`  plain ${plain.ms.toFixed(0)} ms (${(plain.ms / 2000).toFixed(2)}x the goal), --coverage ${covered.ms.toFixed(0)} ms (${(covered.ms / plain.ms).toFixed(2)}x plain), every case fresh ${fresh.ms.toFixed(0)} ms`);
rmSync(dir, { recursive: true, force: true });
