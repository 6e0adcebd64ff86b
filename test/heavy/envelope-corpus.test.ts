/**
 * Soundness of the verifier against the VM, as `run --trace --verifier` checks it: every accepted
 * program of the real-programs corpus and of the verifier corpus runs on a few packets, and every
 * register of every step must lie inside the verifier's envelope (src/verifier/envelope.ts). A
 * mismatch is a bug of xdpts (its verifier proved something the run contradicts, or the VM
 * computed something the kernel would not). Known bugs are listed with the evidence; a listed
 * program that stops mismatching is reported so the list shrinks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debugRun } from '../../src/kernel';
import { loadObject, type ObjectSpec } from '../../src/object';
import { VerifierError } from '../../src/util/errors';

const ROOT = join(__dirname, '..', '..');
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const PACKETS = [
  // Ethernet + IPv4 + TCP, Ethernet + IPv6 + UDP (a third, short packet doubled the time and
  // found nothing more).
  hex('02000000000b02000000000a0800' + '4500003c000040004006' + '0000c0a80001c0a80002' + '303900500000000000000000500220000000' + '00'.repeat(8)),
  hex('02000000000b02000000000a86dd' + '6000000000081140' + '20010db8'.padEnd(32, '0') + '20010db8'.padEnd(31, '0') + '2' + '1234567800080000'),
];
/**
 * Known xdpts bugs the check finds, `file/program`, each with its evidence (none today; the
 * first it found — bpf_check_mtu's MEM_WRITE argument left `fp-4` STACK_ZERO, so R1=0 was
 * proven where the run read 65536 — is fixed).
 */
const KNOWN = new Set<string>();

function objects(): string[] {
  const out: string[] = [];
  const real = join(ROOT, 'fixtures/real');
  for (const d of readdirSync(real)) if (existsSync(join(real, d, 'prog.o'))) out.push(`fixtures/real/${d}/prog.o`);
  for (const f of readdirSync(join(ROOT, 'fixtures/verifier-corpus'))) if (f.endsWith('.o')) out.push(`fixtures/verifier-corpus/${f}`);
  for (const f of readdirSync(join(ROOT, 'fixtures/c'))) if (/^[a-z_]+\.o$/.test(f)) out.push(`fixtures/c/${f}`);
  return out;
}

describe('the verifier envelope holds every concrete run', () => {
  it('accepted programs of the corpora stay inside what the verifier proved', () => {
    const bad: string[] = [];
    const fixed: string[] = [];
    let runs = 0;
    for (const file of objects()) {
      let spec: ObjectSpec;
      try {
        spec = loadObject(new Uint8Array(readFileSync(join(ROOT, file))), file);
      } catch {
        continue;
      }
      for (const p of spec.programs) {
        const key = `${file}/${p.name}`;
        let mismatched = false;
        for (const packet of PACKETS) {
          let run;
          try {
            run = debugRun(spec, { packet, program: p.name, maxSteps: 20_000 });
          } catch (e) {
            // Refused programs (most of the verifier corpus) and objects the emulation cannot
            // load (map-in-map setups, tail-call arrays to fill) have no run to check.
            if (e instanceof VerifierError || (e instanceof Error && !/mismatch/i.test(e.message))) break;
            throw e;
          }
          runs++;
          for (const c of run.checks) {
            if (c.kind !== 'mismatch') continue;
            mismatched = true;
            if (!KNOWN.has(key)) bad.push(`${key} step ${c.step} insn ${c.insn}: ${c.why}`);
          }
        }
        if (KNOWN.has(key) && !mismatched) fixed.push(key);
      }
    }
    console.log(`envelope corpus: ${runs} runs checked`);
    if (fixed.length) console.log(`known envelope bugs no longer seen (remove them from KNOWN): ${fixed.join(', ')}`);
    expect(runs).toBeGreaterThan(500);
    expect(bad).toEqual([]);
  });
});
