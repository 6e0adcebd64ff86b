/**
 * The reporters' output is what CI tools parse: JUnit XML is read back by a real XML parser
 * (Python's expat, where python3 is installed) and checked for the shape GitHub, GitLab and
 * Jenkins read (testsuites > testsuite > testcase with classname, name, file, line, time;
 * failure/skipped/error/system-out); TAP is checked line by line against the TAP 14 grammar
 * (version, plans, numbered points, 4-space subtests, 2-space YAML blocks that parse as YAML,
 * escaped `#` and `\`), on a report with passes, failures, skips with reasons, notes, a
 * malformed file and names full of characters both formats must escape.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { junitReport, runTests, tapReport, type TestReport } from '../../src/testing';

const EX = resolve(__dirname, '../../examples/tests');
const tmp = mkdtempSync(join(tmpdir(), 'tr_reporters'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const python = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim() || undefined;

let report: TestReport;
beforeAll(() => {
  writeFileSync(join(tmp, 'mixed.test.yaml'), `object: ${EX}/parser.o
setup: { maps: { blocklist: [{ key: { prefixlen: 24, addr: 10.0.0.0 }, value: 1 }] } }
tests:
  - name: 'passes # not a directive \\ <xml> & "quotes"'
    packet: eth()/ipv4(src=192.0.2.1)/udp(dport=53)
    expect: { action: XDP_PASS }
  - name: "fails with two trace lines\\nand a newline"
    packet: eth()/ipv4(src=10.0.0.7)/udp(dport=53)
    expect: { action: XDP_PASS, trace: ["one <line>", "two & \\u0001 lines"] }
  - name: later
    skip: "waiting for # IPv6"
    packet: eth()
    expect: { action: XDP_PASS }
`);
  writeFileSync(join(tmp, 'broken.test.yaml'), `object: ${EX}/parser.o\ntests:\n  - packet: eth()/ipv9()\n    expect: { action: XDP_PASS }\n`);
  report = runTests({ paths: [tmp] });
});

describe('JUnit XML', () => {
  it('has the counts and attributes CI tools read', () => {
    const x = junitReport(report);
    expect(x).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="xdpts" tests="4" failures="1" errors="1" skipped="1" time="\d+\.\d{3}">/);
    expect(x).toContain('<testcase classname="' + join(tmp, 'broken.test.yaml') + '" name="load" file="' + join(tmp, 'broken.test.yaml') + '" line="3" time="0"><error message="');
    expect(x).toContain('<skipped message="waiting for # IPv6"/>');
    expect(x).toContain('name="fails with two trace lines&#10;and a newline"');
    expect(x).not.toMatch(/[\u0001]/);
  });

  it.skipIf(!python)(`is well-formed XML that a real parser reads back${python ? '' : ' (skipped: python3 is not installed)'}`, () => {
    const file = join(tmp, 'report.xml');
    writeFileSync(file, junitReport(report));
    const script = `
import json, sys, xml.dom.minidom as m
d = m.parse(sys.argv[1]).documentElement
out = {'root': d.tagName, 'attrs': dict(d.attributes.items()), 'suites': []}
for s in d.getElementsByTagName('testsuite'):
    cases = []
    for c in s.getElementsByTagName('testcase'):
        kids = [k for k in c.childNodes if k.nodeType == 1]
        cases.append({'attrs': dict(c.attributes.items()), 'kids': [[k.tagName, dict(k.attributes.items()), ''.join(t.data for t in k.childNodes if t.nodeType in (3, 4))] for k in kids]})
    out['suites'].append({'attrs': dict(s.attributes.items()), 'cases': cases})
print(json.dumps(out))`;
    const r = spawnSync(python!, ['-c', script, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { root: string; attrs: Record<string, string>; suites: { attrs: Record<string, string>; cases: { attrs: Record<string, string>; kids: [string, Record<string, string>, string][] }[] }[] };
    expect(doc.root).toBe('testsuites');
    expect(doc.attrs).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    const [broken, mixed] = doc.suites;
    expect(broken!.cases[0]!.kids[0]![0]).toBe('error');
    expect(broken!.cases[0]!.kids[0]![1]['message']).toMatch(/broken\.test\.yaml:3:\d+: error: packet: unknown layer 'ipv9'/);
    const [pass, fail, skip] = mixed!.cases;
    expect(pass!.attrs).toMatchObject({ name: 'passes # not a directive \\ <xml> & "quotes"', line: '4', classname: join(tmp, 'mixed.test.yaml'), file: join(tmp, 'mixed.test.yaml') });
    expect(Number(pass!.attrs['time'])).toBeGreaterThanOrEqual(0);
    // The newline in the name survives the attribute (as &#10;), the control character is gone.
    expect(fail!.attrs['name']).toBe('fails with two trace lines\nand a newline');
    const [tag, attrs, text] = fail!.kids[0]!;
    expect(tag).toBe('failure');
    expect(attrs['message']).toBe('action: expected XDP_PASS, got XDP_DROP');
    expect(text).toContain('trace:\n  expected:\n    one <line>\n    two &  lines\n  actual:\n    blocked a000007');
    expect(skip!.kids).toEqual([['skipped', { message: 'waiting for # IPv6' }, '']]);
  });
});

/** Checks a TAP 14 stream (testanything.org/tap-version-14-specification.html); returns the points. */
function checkTap(text: string): { depth: number; ok: boolean; n: number; desc: string; directive?: string; yaml?: unknown }[] {
  const lines = text.replace(/\n$/, '').split('\n');
  expect(lines[0]).toBe('TAP version 14');
  const points: ReturnType<typeof checkTap> = [];
  const plans = new Map<number, number>();
  const next = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const depth = (/^ */.exec(line)![0].length);
    expect(depth % 4, `line ${i + 1}: indentation`).toBe(0);
    const body = line.slice(depth);
    const lvl = depth / 4;
    if (/^1\.\.\d+$/.test(body)) {
      plans.set(lvl, Number(body.slice(3)));
      continue;
    }
    if (body.startsWith('# Subtest: ')) {
      next.set(lvl + 1, 1);
      continue;
    }
    if (body.startsWith('#')) continue;
    const m = /^(not )?ok (\d+)(?: - ((?:[^\\#]|\\[\\#])*?))?(?: # (SKIP|TODO)\b ?(.*))?$/.exec(body);
    expect(m, `line ${i + 1} is a test point: ${line}`).not.toBeNull();
    const n = Number(m![2]);
    expect(n, `line ${i + 1}: numbered in order`).toBe(next.get(lvl) ?? 1);
    next.set(lvl, n + 1);
    const point: ReturnType<typeof checkTap>[number] = { depth: lvl, ok: !m![1], n, desc: (m![3] ?? '').replace(/\\([\\#])/g, '$1'), ...(m![4] ? { directive: `${m![4]} ${m![5]}`.trim() } : {}) };
    // A YAML block follows a point, indented 2 spaces more.
    if (lines[i + 1] === `${' '.repeat(depth + 2)}---`) {
      const end = lines.indexOf(`${' '.repeat(depth + 2)}...`, i + 2);
      expect(end, `line ${i + 2}: YAML block closed`).toBeGreaterThan(i);
      point.yaml = parseYaml(lines.slice(i + 2, end).map((l) => l.slice(depth + 2)).join('\n'));
      i = end;
    }
    points.push(point);
    if (lvl > 0 && n === plans.get(lvl)) plans.delete(lvl);
  }
  expect(points.filter((p) => p.depth === 0)).toHaveLength(plans.get(0) ?? -1);
  return points;
}

describe('TAP 14', () => {
  it('follows the grammar: plans, numbered points, subtests, YAML diagnostics, escapes', () => {
    const points = checkTap(tapReport(report));
    expect(points.map((p) => [p.depth, p.ok, p.desc, p.directive])).toEqual([
      [0, false, join(tmp, 'broken.test.yaml'), undefined],
      [1, true, 'passes # not a directive \\ <xml> & "quotes"', undefined],
      [1, false, 'fails with two trace lines and a newline', undefined],
      [1, true, 'later', 'SKIP waiting for # IPv6'],
      [0, false, join(tmp, 'mixed.test.yaml'), undefined],
    ]);
    expect(points[0]!.yaml).toMatchObject({ message: expect.stringMatching(/broken\.test\.yaml:3:\d+: error: packet: unknown layer 'ipv9'/), severity: 'fail' });
    expect(points[2]!.yaml).toMatchObject({ at: `${join(tmp, 'mixed.test.yaml')}:7`, failures: [expect.stringContaining('action: expected XDP_PASS, got XDP_DROP'), expect.stringContaining('trace:')] });
  });
});
