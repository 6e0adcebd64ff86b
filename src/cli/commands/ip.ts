/**
 * `xdpts ip`: iproute2 over the emulated network — netns add|del|list|exec, link add (veth)|del|
 * set|show, addr add|del|show|flush, route show|add|del, neigh show|flush — with iproute2's text,
 * `-j` JSON, messages and exit statuses. The state session it runs in is `withNet`
 * (net-session.ts), re-exported here for the commands that import it from ip.
 */
import type { Command } from 'commander';
import { readFileOrUndefined } from './tool-output';
import {
  addrAdd,
  addr6Add,
  addr6Del,
  addrDel,
  addrsJson,
  findIface,
  formatAddrs,
  formatAddrsBrief,
  formatLinksBrief,
  formatLinks,
  formatNetnsList,
  getNetns,
  linkAddVeth,
  linkDel,
  linkSetAddress,
  linkSetMtu,
  linkSetNetns,
  linkSetUp,
  linksJson,
  netnsAdd,
  netnsDel,
  NetError,
  requireIface,
  ROOT_NS,
  detailsJson,
  onelineAddrs,
  withDetails,
} from '../../net/index';
import { IP_XDP_KEYWORDS, type IpXdpRequest } from '../../kernel/index';
import { err, out, outJson, runCommand } from '../output';
import { pingMain } from './ping';
import { reportNetError, withNet, type NetSession } from './net-session';
import { devArg, garbage, matches, need, showIn, type IpGlobals } from './ip-common';
import { ipNeigh, ipRoute } from './ip-route';

export { reportNetError, setKernelAttachment, withNet, type KernelAttachment, type NetSession } from './net-session';
import { IP_ADDR_USAGE, IP_LINK_USAGE, IP_NEIGH_USAGE, IP_NETNS_USAGE, IP_ROUTE_USAGE, IP_USAGE } from './tool-help';

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
    else if (o === '-o' || matches(o.slice(1), 'oneline')) g.oneline = true;
    else if (o === '-d' || matches(o.slice(1), 'details')) g.details = true;
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
        json: () => linksJson(s.state, ns, ifaces, s.xdpInfo, g.stats).map((o, k) => (g.details ? { ...o, ...detailsJson(ifaces[k]!) } : o)),
        lines: () =>
          g.brief
            ? formatLinksBrief(s.state, ns, ifaces)
            : g.details
              ? ifaces.flatMap((i) => withDetails(formatLinks(s.state, ns, [i], s.xdpInfo, g.stats), i, true))
              : formatLinks(s.state, ns, ifaces, s.xdpInfo, g.stats),
      };
    });
  }
  if (matches(cmd, 'add')) {
    // ip link add [name] NAME [netns NS] type veth peer [name] PEER [netns NS]
    let name: string | undefined;
    let type: string | undefined;
    let peer: string | undefined;
    let peerNs: string | undefined;
    let devNs: string | undefined;
    let i = 0;
    while (i < args.length && args[i] !== 'type') {
      if (args[i] === 'netns') devNs = need(args, ++i, 'netns');
      else {
        if (args[i] === 'name' || args[i] === 'dev') i++;
        name = args[i];
      }
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
      linkAddVeth(s.state, g.ns, name!, pn, peerNs, devNs);
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

async function ipAddr(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { name, up } = showArgs(args);
    return showIn(g, (s, ns) => {
      const ifaces = selectIfaces(ns, name, up);
      return {
        json: () => addrsJson(s.state, ns, ifaces, s.xdpInfo, g.family, name !== undefined),
        lines: () =>
          g.brief
            ? formatAddrsBrief(s.state, ns, ifaces)
            : g.details
              ? ifaces.flatMap((i) => withDetails(formatAddrs(s.state, ns, [i], s.xdpInfo, g.family, name !== undefined), i, false))
              : formatAddrs(s.state, ns, ifaces, s.xdpInfo, g.family, name !== undefined),
        oneline: onelineAddrs,
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
