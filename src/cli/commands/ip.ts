/**
 * `xdpts ip`: iproute2 over the emulated network — netns add|del|list|exec, link add (veth)|del|
 * set|show, addr add|del|show|flush, route show|add|del, neigh show|flush — with iproute2's text,
 * `-j` JSON, messages and exit statuses. Also home of `withNet`, the state session every
 * network command (ip, ping, inject, capture) runs in.
 */
import type { Command } from 'commander';
import { appendFileSync, readFileSync } from 'node:fs';
import {
  netStateProblem,
  parseIpv4,
  parsePrefix,
  type RouteView,
  addrAdd,
  addr6Add,
  addr6Del,
  formatRoutes6,
  route6Selector,
  routes6Json,
  addrDel,
  addrsJson,
  createNetState,
  findIface,
  formatAddrs,
  formatAddrsBrief,
  formatLinksBrief,
  formatLinks,
  formatNeigh,
  formatNetnsList,
  formatRoutes,
  getNetns,
  isNetState,
  linkAddVeth,
  linkDel,
  linkSetAddress,
  linkSetMtu,
  linkSetNetns,
  linkSetUp,
  linksJson,
  neighAdd,
  neighDel,
  neighFlush,
  neighJson,
  netnsAdd,
  netnsDel,
  NetError,
  Network,
  requireIface,
  routeAdd,
  routeDel,
  routesJson,
  ROOT_NS,
  type FrameEvent,
  type NetState,
  type NetworkOptions,
  type XdpHook,
  type XdpInfoLookup,
} from '../../net/index';
import { IP_XDP_KEYWORDS, kernelStateProblem, type IpXdpRequest, type ToolOutcome } from '../../kernel/index';
import { pcapRecord } from '../../pcap/index';
import { damagedState, StateStore, type StateSnapshot } from '../../state/index';
import { err, out, outJson, runCommand } from '../output';
import { pingMain } from './ping';
import { IP_ADDR_USAGE, IP_LINK_USAGE, IP_NEIGH_USAGE, IP_NETNS_USAGE, IP_ROUTE_USAGE, IP_USAGE } from './tool-help';

/** What the emulated kernel contributes to a network session: its XDP hook and attachment views. */
export interface KernelAttachment {
  hook?: XdpHook;
  xdpInfo?: XdpInfoLookup;
  /** Called after the command, before the snapshot is written (the kernel saves its part). */
  save?: () => void;
  /** `ip link set DEV xdp... {obj FILE [sec S] | off}` on the emulated kernel (iproute2's outcome). */
  linkSetXdp?: (r: IpXdpRequest) => ToolOutcome;
}

let kernelFactory: ((snapshot: StateSnapshot, nowNs: () => bigint) => KernelAttachment) | undefined;

/**
 * Connects the emulated kernel: `factory` is called once per command with the snapshot and the
 * network's clock, and returns the XDP hook every received frame goes through.
 */
export function setKernelAttachment(factory: (snapshot: StateSnapshot, nowNs: () => bigint) => KernelAttachment): void {
  kernelFactory = factory;
}

/** A command `ip netns exec NS` can run: its arguments and the namespace, to its exit status. */
export type ExecTarget = (args: string[], ns: string) => Promise<number>;

const execTargets = new Map<string, ExecTarget>();

/**
 * Makes `xdpts ip netns exec NS xdp-loader NAME ...` (and `... xdpts NAME ...`) run the loader
 * command NAME in NS. The loader commands register themselves, so ip.ts needs no import of them.
 */
export function registerExecTarget(name: string, target: ExecTarget): void {
  execTargets.set(name, target);
}

/** xdp-loader's command list (main of xdp-loader.c prints it when no command is given). */
const XDP_LOADER_COMMANDS = ['load', 'unload', 'clean', 'status', 'features', 'help'];

/** `xdp-loader CMD ARGS...` in namespace `ns`, with xdpts's exit codes (reference §8.2). */
async function xdpLoaderMain(args: string[], ns: string): Promise<number> {
  const [cmd, ...rest] = args;
  if (cmd === undefined) {
    err(['Usage: xdp-loader COMMAND [options]', '', 'COMMAND can be one of:', ...XDP_LOADER_COMMANDS.map((c) => `       ${c}`)].join('\n'));
    return 2;
  }
  const target = execTargets.get(cmd);
  if (!target) {
    err(`Command '${cmd}' is unknown, try 'xdp-loader help'.`);
    return 2;
  }
  return target(rest, ns);
}

/** One command's view of the network: the live Network plus the XDP views. */
export interface NetSession {
  net: Network;
  state: NetState;
  snapshot: StateSnapshot;
  xdpInfo: XdpInfoLookup | undefined;
  linkSetXdp: ((r: IpXdpRequest) => ToolOutcome) | undefined;
}

function seedFromEnv(): number | undefined {
  const s = process.env['XDPTS_SEED'];
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n >>> 0 : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` with the network loaded from the state under the state lock, then writes the state
 * back (unless `readonly`). Frames crossing an interface with an active capture are appended to
 * its pcap file.
 */
export async function withNet<T>(fn: (s: NetSession) => T | Promise<T>, options: { readonly?: boolean; extra?: NetworkOptions } = {}): Promise<T> {
  const store = new StateStore(undefined, {}, (snap) => kernelStateProblem(snap.kernel) ?? netStateProblem(snap.net));
  return store.withState(
    async (snapshot) => {
      if (!isNetState(snapshot.net)) {
        const seed = seedFromEnv();
        snapshot.net = createNetState(seed !== undefined ? { seed } : {});
      }
      const state = snapshot.net as NetState;
      // Capture sessions whose waiting process died are over.
      state.captures = state.captures.filter((c) => c.pid === undefined || pidAlive(c.pid));
      // So are the ping sockets of a ping that died while it waited without the lock.
      if (state.pingSockets) state.pingSockets = state.pingSockets.filter((p) => p.pid === undefined || pidAlive(p.pid));
      const pending: { file: string; bytes: Uint8Array }[] = [];
      const onFrame = (e: FrameEvent): void => {
        for (const c of state.captures) {
          if (c.ns !== e.ns || c.ifindex !== e.ifindex || (c.limit > 0 && c.count >= c.limit)) continue;
          c.count++;
          pending.push({ file: c.file, bytes: pcapRecord({ timeUs: state.epochUs + e.timeUs, data: e.frame }) });
        }
        options.extra?.onFrame?.(e);
      };
      let netRef: Network | undefined;
      let kernel: KernelAttachment;
      let net: Network;
      try {
        kernel = kernelFactory?.(snapshot, () => netRef?.nowNs() ?? 0n) ?? {};
        const netOptions: NetworkOptions = { onFrame };
        if (kernel.hook) netOptions.hook = kernel.hook;
        if (options.extra?.onVerdict) netOptions.onVerdict = options.extra.onVerdict;
        net = new Network(state, netOptions);
      } catch (e) {
        // The shapes were right but the parts cannot be rebuilt: refuse, write nothing.
        throw damagedState(store.file, e);
      }
      netRef = net;
      try {
        return await fn({ net, state, snapshot, xdpInfo: kernel.xdpInfo, linkSetXdp: kernel.linkSetXdp });
      } finally {
        for (const p of pending) {
          try {
            appendFileSync(p.file, p.bytes);
          } catch {
            // The capture file went away: the session ends.
            state.captures = state.captures.filter((c) => c.file !== p.file);
          }
        }
        kernel.save?.();
      }
    },
    options.readonly ? { readonly: true } : {},
  );
}

/** Prints a NetError as the real tool does (stderr, verbatim) and returns its exit status. */
export function reportNetError(e: unknown): number {
  if (e instanceof NetError) {
    err(e.message);
    return e.exitStatus;
  }
  throw e;
}

/** `matches()` of iproute2: `word` is a non-empty prefix of `full`. */
function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word.length > 0 && full.startsWith(word);
}

interface IpGlobals {
  ns: string;
  json: boolean;
  force: boolean;
  brief: boolean;
  family?: 'inet' | 'inet6';
  stats: boolean;
}

function garbage(word: string): NetError {
  return new NetError(`Error: either "dev" is duplicate, or "${word}" is a garbage.`, 255, 'EINVAL');
}

function need(args: string[], i: number, what: string): string {
  const v = args[i];
  if (v === undefined) throw new NetError(`Command line is not complete. Try option "help"`, 255, 'EINVAL');
  void what;
  return v;
}

/** The usage text of `ip OBJECT help` for the objects xdpts emulates. */
function objectUsage(obj: string): string | undefined {
  if (matches(obj, 'address')) return IP_ADDR_USAGE;
  if (matches(obj, 'route')) return IP_ROUTE_USAGE;
  if (matches(obj, 'neighbour') || matches(obj, 'neighbor')) return IP_NEIGH_USAGE;
  if (matches(obj, 'link')) return IP_LINK_USAGE;
  if (obj.length >= 4 && matches(obj, 'netns')) return IP_NETNS_USAGE;
  return undefined;
}

/** Runs one `ip` command line (arguments after `ip`) in namespace `ns`; returns the exit status. */
export async function ipMain(argv: string[], nsName: string, jsonFlag: boolean): Promise<number> {
  const g: IpGlobals = { ns: nsName, json: jsonFlag, force: false, brief: false, stats: false };
  const args = [...argv];
  // Global options before the object.
  while (args.length > 0 && args[0]!.startsWith('-')) {
    const o = args.shift()!;
    if (o === '-n' || o === '-netns' || o === '--netns') {
      need(args, 0, 'netns');
      g.ns = args.shift()!;
    }
    else if (o === '-j' || o === '-json' || o === '--json') g.json = true;
    else if (o === '-force') g.force = true;
    else if (o === '-br' || o === '-brief') g.brief = true;
    else if (o === '-s' || o === '-stats' || o === '-statistics') g.stats = true;
    else if (o === '-4' || o === '-6') g.family = o === '-4' ? 'inet' : 'inet6';
    else if (o === '-p' || o === '-pretty') continue;
    else if (matches(o.slice(1), 'help') || o === '-h') {
      err(IP_USAGE);
      return 255;
    }
    else {
      err(`Option "${o}" is unknown, try "ip -help".`);
      return 255;
    }
  }
  const obj = args.shift();
  try {
    if (obj === undefined || matches(obj, 'help')) {
      err(IP_USAGE);
      return 255;
    }
    // `ip OBJECT help`: the object's usage on stderr, status 255, as iproute2 prints it.
    if (args[0] !== undefined && matches(args[0], 'help')) {
      const usage = objectUsage(obj);
      if (usage) {
        err(usage);
        return 255;
      }
    }
    if (g.ns !== nsName && g.ns !== ROOT_NS) {
      // -n NAME: the namespace must exist (as `ip netns exec` checks).
      await withNet((s) => void getNetns(s.state, g.ns), { readonly: true });
    }
    if (matches(obj, 'address')) return await ipAddr(args, g);
    if (matches(obj, 'route')) return await ipRoute(args, g);
    if (matches(obj, 'neighbour') || matches(obj, 'neighbor')) return await ipNeigh(args, g);
    if (matches(obj, 'link')) return await ipLink(args, g);
    if (obj.length >= 4 && matches(obj, 'netns')) return await ipNetns(args, g);
    err(`Object "${obj}" is unknown, try "ip help".`);
    return 1;
  } catch (e) {
    return reportNetError(e);
  }
}

async function ipNetns(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'list';
  if (matches(cmd, 'list') || cmd === 'show') {
    const rows = await withNet((s) => formatNetnsList(s.state, g.ns), { readonly: true });
    if (g.json) {
      outJson(rows.map((r) => {
        const m = /^(\S+)(?: \(id: (\d+)\))?$/.exec(r)!;
        return m[2] !== undefined ? { name: m[1], id: Number(m[2]) } : { name: m[1] };
      }));
    } else for (const r of rows) out(r);
    return 0;
  }
  if (matches(cmd, 'add')) {
    const name = need(args, 0, 'name');
    await withNet((s) => netnsAdd(s.state, name));
    return 0;
  }
  if (matches(cmd, 'delete')) {
    const name = need(args, 0, 'name');
    await withNet((s) => netnsDel(s.state, name));
    return 0;
  }
  if (matches(cmd, 'exec')) {
    const name = need(args, 0, 'name');
    const rest = args.slice(1);
    await withNet((s) => void getNetns(s.state, name), { readonly: true });
    const prog = rest.shift();
    if (prog === undefined) throw new NetError('No command specified', 1, 'EINVAL');
    const base = prog.replace(/^.*\//, '');
    if (base === 'ip') return ipMain(rest, name, false);
    if (base === 'ping') return pingMain(rest, name, false);
    if (base === 'xdpts' && rest[0] === 'ip') return ipMain(rest.slice(1), name, false);
    if (base === 'xdpts' && rest[0] === 'ping') return pingMain(rest.slice(1), name, false);
    // The loader commands as `ip netns exec NS xdp-loader ...` runs them: no bpffs in there.
    if (base === 'xdp-loader') return xdpLoaderMain(rest, name);
    if (base === 'xdpts' && rest[0] !== undefined && execTargets.has(rest[0])) return execTargets.get(rest[0])!(rest.slice(1), name);
    // execvp failure, as ip netns exec reports it.
    err(`exec of "${prog}" failed: No such file or directory`);
    return 255;
  }
  err(`Command "${cmd}" is unknown, try "ip netns help".`);
  return 255;
}

function devArg(args: string[]): { dev?: string; rest: string[] } {
  const rest: string[] = [];
  let dev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'dev') {
      dev = need(args, i + 1, 'dev');
      i++;
    } else rest.push(args[i]!);
  }
  return dev !== undefined ? { dev, rest } : { rest };
}

/** What an `ip OBJECT show` prints: its JSON (-j) and its text lines (-br already chosen). */
interface ShowView {
  json(): unknown;
  lines(): Iterable<string>;
}

/**
 * Runs an `ip OBJECT show` in namespace `g.ns` without writing the state back: `view` builds
 * the output (and throws iproute2's error for an unknown device), printed as JSON under -j.
 */
function showIn(g: IpGlobals, view: (s: NetSession, ns: ReturnType<typeof getNetns>) => ShowView): Promise<number> {
  return withNet(
    (s) => {
      const v = view(s, getNetns(s.state, g.ns));
      if (g.json) outJson(v.json());
      else for (const l of v.lines()) out(l);
      return 0;
    },
    { readonly: true },
  );
}

/** The interfaces `ip link|addr show [dev] NAME` lists: all, or the one named (iproute2's error otherwise). */
function selectIfaces(ns: ReturnType<typeof getNetns>, name: string | undefined, upOnly = false): ReturnType<typeof getNetns>['ifaces'] {
  const keep = (l: ReturnType<typeof getNetns>['ifaces']): ReturnType<typeof getNetns>['ifaces'] => (upOnly ? l.filter((i) => i.up) : l);
  if (name === undefined) return keep(ns.ifaces);
  const i = findIface(ns, name);
  if (!i) throw new NetError(`Device "${name}" does not exist.`, 1, 'ENODEV');
  return keep([i]);
}

/** `ip link|addr show [dev] NAME [up]`: the `up` keyword keeps only IFF_UP devices (ipaddress.c's filter.up). */
function showArgs(args: string[]): { name?: string; up: boolean } {
  const { dev, rest } = devArg(args);
  const words = rest.filter((w) => w !== 'up');
  const name = dev ?? words[0];
  return name !== undefined ? { name, up: words.length !== rest.length } : { up: words.length !== rest.length };
}

async function ipLink(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { name, up } = showArgs(args);
    return showIn(g, (s, ns) => {
      const ifaces = selectIfaces(ns, name, up);
      return {
        json: () => linksJson(s.state, ns, ifaces, s.xdpInfo, g.stats),
        lines: () => (g.brief ? formatLinksBrief(s.state, ns, ifaces) : formatLinks(s.state, ns, ifaces, s.xdpInfo, g.stats)),
      };
    });
  }
  if (matches(cmd, 'add')) {
    // ip link add [name] NAME type veth peer [name] PEER [netns NS]
    let name: string | undefined;
    let type: string | undefined;
    let peer: string | undefined;
    let peerNs: string | undefined;
    let i = 0;
    while (i < args.length && args[i] !== 'type') {
      if (args[i] === 'name' || args[i] === 'dev') i++;
      name = args[i];
      i++;
    }
    if (args[i] === 'type') type = args[++i];
    i++;
    if (type !== undefined && type !== 'veth') throw new NetError('Error: Unknown device type.', 2, 'EOPNOTSUPP');
    if (args[i] === 'peer') {
      i++;
      while (i < args.length) {
        if (args[i] === 'name') peer = args[++i];
        else if (args[i] === 'netns') peerNs = args[++i];
        else if (peer === undefined) peer = args[i];
        else throw garbage(args[i]!);
        i++;
      }
    } else if (i < args.length) throw garbage(args[i]!);
    if (name === undefined || type === undefined) throw new NetError('Not enough information: "dev" argument is required.', 255, 'EINVAL');
    const peerName = peer;
    await withNet((s) => {
      // Without a peer name the kernel names it vethN (the first free index).
      let pn = peerName;
      if (pn === undefined) {
        const ns = getNetns(s.state, peerNs ?? g.ns);
        let k = 0;
        while (findIface(ns, `veth${k}`) || `veth${k}` === name) k++;
        pn = `veth${k}`;
      }
      linkAddVeth(s.state, g.ns, name!, pn, peerNs);
    });
    return 0;
  }
  if (matches(cmd, 'delete')) {
    const { dev, rest } = devArg(args);
    const name = dev ?? rest[0];
    if (name === undefined) throw new NetError('Not enough information: "dev" argument is required.', 255, 'EINVAL');
    await withNet((s) => void linkDel(s.state, g.ns, name));
    return 0;
  }
  if (matches(cmd, 'set')) {
    let name: string | undefined;
    const ops: (() => (s: NetSession) => void)[] = [];
    let xdp: Omit<IpXdpRequest, 'ns' | 'dev' | 'readFile'> | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (Object.hasOwn(IP_XDP_KEYWORDS, a)) {
        // iplink_xdp.c: `{xdp|xdpgeneric|xdpdrv|xdpoffload} {off | object FILE [section SEC] [verbose]}`.
        const r = parseXdpWords(args, i);
        xdp = { keyword: a, ...r.req, force: g.force };
        i = r.next - 1;
      } else if (a === 'dev') {
        if (name !== undefined) throw garbage(a);
        name = need(args, ++i, 'dev');
      } else if (a === 'up' || a === 'down') ops.push(() => (s) => linkSetUp(s.state, g.ns, name!, a === 'up'));
      else if (a === 'netns') {
        const t = need(args, ++i, 'netns');
        ops.push(() => (s) => linkSetNetns(s.state, g.ns, name!, t));
      } else if (a === 'mtu') {
        const m = Number(need(args, ++i, 'mtu'));
        ops.push(() => (s) => linkSetMtu(s.state, g.ns, name!, m));
      } else if (a === 'address') {
        const mac = need(args, ++i, 'address');
        ops.push(() => (s) => linkSetAddress(s.state, g.ns, name!, mac));
      } else if (name === undefined) name = a;
      else throw garbage(a);
    }
    if (name === undefined) throw new NetError('Not enough information: "dev" argument is required.', 255, 'EINVAL');
    return withNet((s) => {
      requireIface(getNetns(s.state, g.ns), name!);
      if (xdp) {
        // The XDP request goes first, as iproute2 puts IFLA_XDP in the same RTM_NEWLINK; a
        // refusal fails the whole command with iproute2's message and status (reference §4.5).
        if (!s.linkSetXdp) throw new NetError('Error: XDP is not available in this session.', 2, 'EOPNOTSUPP');
        const o = s.linkSetXdp({ ns: g.ns, dev: name!, ...xdp, readFile: readFileOrUndefined });
        for (const l of o.stdout) out(`${l}\n`);
        for (const l of o.stderr) err(`${l}\n`);
        if (o.exit !== 0) return o.exit;
      }
      for (const op of ops) op()(s);
      return 0;
    });
  }
  err(`Command "${cmd}" is unknown, try "ip link help".`);
  return 255;
}

/** Parses the words after an XDP keyword at `args[at]`: `off`, or `obj|object FILE [sec|section SEC] [verbose]`. */
function parseXdpWords(args: string[], at: number): { req: { obj?: string; sec?: string }; next: number } {
  let i = at + 1;
  const w = args[i];
  if (w === 'off') return { req: {}, next: i + 1 };
  if (w !== 'obj' && w !== 'object') {
    // iplink_xdp.c falls through to the generic error when neither `off` nor an object follows.
    throw new NetError(w === undefined ? 'Command line is not complete. Try option "help"' : `Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255, 'EINVAL');
  }
  const obj = need(args, i + 1, 'object');
  i += 2;
  let sec: string | undefined;
  for (;;) {
    if (args[i] === 'sec' || args[i] === 'section') {
      sec = need(args, i + 1, 'section');
      i += 2;
    } else if (args[i] === 'verbose') i++;
    else break;
  }
  return { req: sec !== undefined ? { obj, sec } : { obj }, next: i };
}

function readFileOrUndefined(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

async function ipAddr(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { name, up } = showArgs(args);
    return showIn(g, (s, ns) => {
      const ifaces = selectIfaces(ns, name, up);
      return {
        json: () => addrsJson(s.state, ns, ifaces, s.xdpInfo, g.family, name !== undefined),
        lines: () => (g.brief ? formatAddrsBrief(s.state, ns, ifaces) : formatAddrs(s.state, ns, ifaces, s.xdpInfo, g.family, name !== undefined)),
      };
    });
  }
  if (matches(cmd, 'add') || matches(cmd, 'delete')) {
    let prefix: string | undefined;
    let dev: string | undefined;
    let brd: string | undefined;
    let nodad = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'dev') dev = need(args, ++i, 'dev');
      else if (a === 'nodad') nodad = true;
      else if (a === 'brd' || a === 'broadcast') brd = need(args, ++i, 'brd');
      else if (a === 'local') prefix = need(args, ++i, 'local');
      else if (prefix === undefined) prefix = a;
      else throw garbage(a);
    }
    if (dev === undefined) throw new NetError('Not enough information: "dev" argument is required.', 255, 'EINVAL');
    if (prefix === undefined) throw new NetError('Not enough information: "local" argument is required.', 255, 'EINVAL');
    const isAdd = matches(cmd, 'add');
    // The family comes from -6 or from the address itself, as iproute2's get_prefix decides.
    if (g.family === 'inet6' || prefix.includes(':')) await withNet((s) => (isAdd ? addr6Add(s.state, g.ns, prefix!, dev!, nodad) : addr6Del(s.state, g.ns, prefix!, dev!)));
    else await withNet((s) => (isAdd ? addrAdd(s.state, g.ns, prefix!, dev!, brd) : addrDel(s.state, g.ns, prefix!, dev!)));
    return 0;
  }
  if (matches(cmd, 'flush')) {
    const { dev } = devArg(args);
    if (dev === undefined) throw new NetError('Flush requires arguments.', 1, 'EINVAL');
    await withNet((s) => {
      const i = requireIface(getNetns(s.state, g.ns), dev);
      if (g.family !== 'inet6') i.addrs = i.kind === 'loopback' ? i.addrs : [];
      if (g.family !== 'inet') delete i.addrs6;
    });
    return 0;
  }
  err(`Command "${cmd}" is unknown, try "ip address help".`);
  return 255;
}

/**
 * The prefix selector of `ip route show` as iproute2 reads it: `[to] [exact|root|match] PREFIX`
 * (`default` is 0/0). A bare or `exact` prefix keeps the route with that very prefix, `root` the
 * routes inside it, `match` the routes that contain it.
 */
function routeSelector(words: string[]): (r: RouteView) => boolean {
  let mode: 'exact' | 'root' | 'match' = 'exact';
  let prefix: { addr: number; len: number } | undefined;
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === 'to') continue;
    if (prefix !== undefined) throw garbage(w);
    if (matches(w, 'root') || matches(w, 'match') || matches(w, 'exact')) {
      mode = matches(w, 'root') ? 'root' : matches(w, 'match') ? 'match' : 'exact';
      w = need(words, ++i, w);
    }
    const p = w === 'default' || w === 'all' ? { addr: 0, len: w === 'all' ? -1 : 0 } : parsePrefix(w.includes('/') ? w : `${w}/32`);
    if (!p) throw new NetError(`Error: any valid prefix is expected rather than "${w}".`, 1, 'EINVAL');
    prefix = p;
  }
  if (!prefix || prefix.len < 0) return () => true;
  const { addr, len } = prefix;
  const within = (a: number, l: number, inside: { addr: number; len: number }): boolean =>
    l >= inside.len && (inside.len === 0 || (a >>> (32 - inside.len)) === (inside.addr >>> (32 - inside.len)));
  return (r) => {
    const d = parseIpv4(r.dst) ?? 0;
    if (mode === 'exact') return r.dstLen === len && within(d, r.dstLen, prefix!);
    if (mode === 'root') return within(d, r.dstLen, prefix!);
    return within(addr, len, { addr: d, len: r.dstLen });
  };
}

async function ipRoute(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { dev, rest } = devArg(args);
    const keep6 = g.family === 'inet6' ? route6Selector(rest) : undefined;
    const keep = keep6 ? () => true : routeSelector(rest);
    return showIn(g, (s, ns) => {
      if (dev !== undefined) requireIface(ns, dev);
      if (keep6) return { json: () => routes6Json(s.state, ns, dev, keep6), lines: () => formatRoutes6(s.state, ns, dev, keep6) };
      return { json: () => routesJson(s.state, ns, dev, keep), lines: () => formatRoutes(s.state, ns, dev, keep) };
    });
  }
  if (matches(cmd, 'add') || matches(cmd, 'delete')) {
    let dst: string | undefined;
    const o: { via?: string; dev?: string; src?: string } = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'via') o.via = need(args, ++i, 'via');
      else if (a === 'dev') o.dev = need(args, ++i, 'dev');
      else if (a === 'src') o.src = need(args, ++i, 'src');
      else if (a === 'to') dst = need(args, ++i, 'to');
      else if (dst === undefined) dst = a;
      else throw garbage(a);
    }
    if (dst === undefined) throw new NetError('Command line is not complete. Try option "help"', 255, 'EINVAL');
    const isAdd = matches(cmd, 'add');
    await withNet((s) => (isAdd ? routeAdd(s.state, g.ns, dst!, o) : routeDel(s.state, g.ns, dst!, o)));
    return 0;
  }
  err(`Command "${cmd}" is unknown, try "ip route help".`);
  return 255;
}

async function ipNeigh(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { dev } = devArg(args);
    return showIn(g, (s, ns) => {
      const ifindex = dev !== undefined ? requireIface(ns, dev).ifindex : undefined;
      return { json: () => neighJson(s.state, ns, ifindex, g.family), lines: () => formatNeigh(s.state, ns, ifindex, g.family) };
    });
  }
  if (matches(cmd, 'add') || matches(cmd, 'replace') || matches(cmd, 'delete')) {
    let ip: string | undefined;
    const o: { dev?: string; lladdr?: string; nud?: string } = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'dev') o.dev = need(args, ++i, 'dev');
      else if (a === 'lladdr') o.lladdr = need(args, ++i, 'lladdr');
      else if (a === 'nud') o.nud = need(args, ++i, 'nud');
      else if (a === 'to') ip = need(args, ++i, 'to');
      else if (ip === undefined) ip = a;
      else throw garbage(a);
    }
    if (o.dev === undefined || ip === undefined) throw new NetError('Device and destination are required arguments.', 255, 'EINVAL');
    const dev = o.dev;
    if (matches(cmd, 'delete')) await withNet((s) => neighDel(s.state, g.ns, ip!, dev));
    else await withNet((s) => neighAdd(s.state, g.ns, ip!, { ...o, dev, replace: matches(cmd, 'replace') }));
    return 0;
  }
  if (matches(cmd, 'flush')) {
    const { dev, rest } = devArg(args);
    if (dev === undefined && rest[0] !== 'all') throw new NetError('Flush requires arguments.', 1, 'EINVAL');
    await withNet((s) => void neighFlush(s.state, g.ns, dev));
    return 0;
  }
  err(`Command "${cmd}" is unknown, try "ip neigh help".`);
  return 255;
}

/** Registers `xdpts ip ...` (arguments as iproute2 takes them). */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('ip')
    .description('iproute2 on the emulated network: netns, link (veth), addr, route, neigh')
    .argument('[args...]', 'as for ip(8): [-n NS] [-j] OBJECT COMMAND ...')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const json = args.includes('--json');
      const rest = args.filter((a) => a !== '--json');
      await runCommand(json, setExit, () => ipMain(rest, ROOT_NS, json));
    });
}
