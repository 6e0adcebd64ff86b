/**
 * The playground: xdpts' assembler, verifier, explain, VM and step API in the page (no server
 * work). Assembly is typed or a sample loaded (C needs clang, so a clang-built `.o` can be
 * dropped in instead); the state (source and packet) lives in the URL's fragment, so a link
 * shares it. Only src/'s pure folders are imported (see scripts/build-web.mjs for the node:
 * modules they name, replaced by web/shims); no user text is ever evaluated as code.
 */
import { assemble } from '../src/asm';
import { debugRun, type DebugRun } from '../src/kernel';
import { loadObject, writeElf, type ObjectSpec } from '../src/object';
import { explainProgram, explanationText, verifyProgram } from '../src/verifier';
import { disassembleSpec, hexdump, packetHex, stateFromHash, stateToHash } from './view';
import counter from '../programs/counter.asm';
import drop from '../programs/xdp_drop.asm';
import protoCount from '../programs/proto_count.asm';

const SAMPLES: Record<string, string> = { 'counter (tutorial)': counter, 'drop (tutorial)': drop, 'protocol counter (packet parser)': protoCount };
/** An Ethernet + IPv4 + UDP packet (10.0.0.1:40000 → 10.0.0.2:53, 8 bytes of payload). */
const UDP_PACKET = '02000000000b02000000000a0800' + '4500002412344000401114930a0000010a000002' + '9c40003500100000' + '0102030405060708';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const source = $<HTMLTextAreaElement>('source');
const packetIn = $<HTMLInputElement>('packet');
const diag = $<HTMLPreElement>('diagnostics');

let spec: ObjectSpec | undefined;
let specName = 'prog.asm';
let run: DebugRun | undefined;

function show(tab: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) b.classList.toggle('on', b.dataset['tab'] === tab);
  for (const t of document.querySelectorAll<HTMLElement>('.tab')) t.hidden = t.id !== `tab-${tab}`;
}

function fail(message: string): void {
  diag.hidden = false;
  diag.textContent = message;
}

/** Assembles the editor's text into an object (through the ELF bytes, like `xdpts build`). */
function doAssemble(): ObjectSpec | undefined {
  diag.hidden = true;
  run = undefined;
  try {
    const r = assemble(source.value, { file: 'prog.asm' });
    if (r.kind !== 'elf') throw new Error('raw instruction output is not runnable here');
    spec = loadObject(writeElf(r.elf), 'prog.asm');
    specName = 'prog.asm';
  } catch (e) {
    spec = undefined;
    fail(e instanceof Error ? e.message : String(e));
    return undefined;
  }
  $('disasm').textContent = disassembleSpec(spec);
  location.hash = stateToHash({ source: source.value, packet: packetIn.value });
  show('disasm');
  return spec;
}

function current(): ObjectSpec | undefined {
  return spec ?? doAssemble();
}

function doVerify(): boolean {
  const s = current();
  if (!s) return false;
  const prog = s.programs[0];
  if (!prog) return fail('the object has no program'), false;
  const p = { ...prog, type: prog.type || 6 };
  const v = verifyProgram(p, s.maps, { logLevel: 2, progType: 6 });
  $('verifier-log').textContent = v.log;
  const verdict = $('verdict');
  const ex = $('explain');
  if (v.accepted) {
    verdict.className = 'ok';
    verdict.textContent = `${prog.name}: accepted, processed ${v.stats.processed} insns`;
    ex.hidden = true;
  } else {
    verdict.className = 'bad';
    verdict.textContent = `${prog.name}: rejected at insn ${v.insn ?? '?'}: ${v.error ?? ''}`;
    const e = explainProgram(p, s.maps, { progType: 6 });
    ex.hidden = !e;
    if (e) ex.textContent = explanationText(specName, e).join('\n');
  }
  show('verifier');
  return v.accepted;
}

function doRun(): void {
  const s = current();
  if (!s) return;
  let packet: Uint8Array;
  try {
    packet = packetHex(packetIn.value);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!doVerify()) return;
  try {
    run = debugRun(s, { packet });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  location.hash = stateToHash({ source: source.value, packet: packetIn.value });
  const r = run.result;
  const bad = run.checks.filter((c) => c.kind === 'mismatch');
  $('result').textContent = [
    `${run.action} (r0 = ${r.r0})${r.fault ? ` — fault: ${r.fault.message}` : ''}, ${run.executed} instructions executed`,
    `packet out (${r.dataOut.length} bytes):`,
    hexdump(r.dataOut),
  ].join('\n');
  $('checks').textContent = bad.length
    ? `xdpts BUG: ${bad.length} register value(s) outside what the verifier proved:\n${bad.map((c) => `  step ${c.step} insn ${c.insn}: ${c.why}`).join('\n')}`
    : 'every register stays inside the verifier\'s envelope';
  $('checks').className = bad.length ? 'bad' : 'ok';
  $('maps').textContent = [...run.maps]
    .map(([name, m]) => `${name} (${m.typeName}):\n${[...m.entries()].map(([k, v]) => `  ${hexdump(k, true)} → ${hexdump(v, true)}`).join('\n') || '  (empty)'}`)
    .join('\n');
  show('debugger');
  paint();
}

/** Draws the debugger at the run's current step. */
function paint(): void {
  if (!run) return;
  const prev = run.position > 0 ? run.recorder.registers(run.position - 1) : [];
  $('position').textContent = `step ${run.position + 1} of ${run.length}`;
  const src = run.source;
  $('insn').textContent = `${src ? `; ${src.text} @ ${src.file.replace(/^.*\//, '')}:${src.line}\n` : ''}${run.insn}: ${run.text}`;
  const body = $('registers').querySelector('tbody')!;
  body.replaceChildren(
    ...run.registers().map((r) => {
      const tr = document.createElement('tr');
      tr.id = `reg-r${r.reg}`;
      if (prev[r.reg] && prev[r.reg]!.value !== r.value) tr.className = 'changed';
      for (const text of [`r${r.reg}`, r.text, r.verifier ?? '']) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
  $('stack').textContent = hexdump(run.stack().slice(-64));
  $('packet-view').textContent = hexdump(run.packet());
}

function setBreakpoint(): void {
  if (!run) return;
  run.clearBreakpoints();
  const line = Number($<HTMLInputElement>('break-line').value);
  if (Number.isInteger(line) && line > 0) run.addBreakpoint({ line });
}

function loadSample(name: string): void {
  source.value = SAMPLES[name] ?? '';
  spec = undefined;
}

function init(): void {
  const pick = $<HTMLSelectElement>('sample');
  for (const name of Object.keys(SAMPLES)) pick.append(new Option(name, name));
  const st = stateFromHash(location.hash);
  if (st) {
    source.value = st.source;
    packetIn.value = st.packet;
  } else {
    loadSample(pick.value);
    packetIn.value = UDP_PACKET;
  }
  pick.onchange = () => loadSample(pick.value);
  source.oninput = () => (spec = undefined);
  $('assemble').onclick = () => doAssemble();
  $('verify').onclick = () => doVerify();
  $('run').onclick = () => doRun();
  $('step').onclick = () => (run?.step(), paint());
  $('back').onclick = () => (run?.back(), paint());
  $('continue').onclick = () => (setBreakpoint(), run?.continue(), paint());
  $('share').onclick = (e) => {
    e.preventDefault();
    location.hash = stateToHash({ source: source.value, packet: packetIn.value });
    void navigator.clipboard?.writeText(location.href).catch(() => undefined);
  };
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) b.onclick = () => show(b.dataset['tab']!);
  $<HTMLInputElement>('file').onchange = async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      spec = loadObject(new Uint8Array(await f.arrayBuffer()), f.name);
      specName = f.name;
      diag.hidden = true;
      $('disasm').textContent = disassembleSpec(spec);
      show('disasm');
    } catch (err) {
      spec = undefined;
      fail(err instanceof Error ? err.message : String(err));
    }
  };
  show('disasm');
  document.body.dataset['ready'] = '1';
}

init();
