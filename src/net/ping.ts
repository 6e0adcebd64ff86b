/**
 * `ping` as iputils 20221126 behaves: probes every interval, replies and ICMP errors printed as
 * they arrive, the linger rules (wait up to -W after the last probe when nothing came back,
 * 2×max rtt otherwise), the statistics block, `pipe N`, and exit statuses 0/1/2.
 * Time is emulated; the caller may pass `sleep` to pace the run in wall time too (the CLI does
 * by default, as iputils paces). A `sleep` may hand back a fresh Network over a re-read state:
 * the CLI lets go of the state lock while ping waits, so the run then continues on the new one.
 */
import { formatIpv4, parseIpv4 } from './addr';
import { NetError } from './errors';
import type { Network, PingDelivery } from './engine';
import { findIface, getNetns, localAddress } from './model';
import type { PingSocketState } from './types';
import { routeLookup } from './routes';
import { buildIcmp, ICMP_ECHO, IPPROTO_ICMP, pingPayload } from './packet';
import { connect6, icmp6ErrorText, type Ping6Target } from './ping6';

/** Options of one ping run (the iputils flags). */
export interface PingOptions {
  /** Namespace to ping from (`''` = root). */
  ns: string;
  target: string;
  /** -c: probes to send (undefined = until the deadline; the CLI requires one of -c/-w). */
  count?: number;
  /** -i: seconds between probes (default 1). */
  interval?: number;
  /** -W: seconds to wait for a reply after the last probe (default 10). */
  wait?: number;
  /** -w: overall deadline in seconds. */
  deadline?: number;
  /** -I: source interface or address. */
  iface?: string;
  /** -s: payload bytes (default 56). */
  size?: number;
  /** -q: only the header and the statistics. */
  quiet?: boolean;
  /** -4 / -6: the address family (default: from the target's form). */
  family?: 4 | 6;
  /** -D: prefix reply and error lines with `[epoch seconds.microseconds] `. */
  timestamps?: boolean;
}

/** One reply as recorded for the JSON summary. */
export interface PingReply {
  seq: number;
  ttl: number;
  bytes: number;
  timeMs: number;
}

/** The outcome of a run. */
export interface PingResult {
  lines: string[];
  exitCode: number;
  target: string;
  address: string;
  transmitted: number;
  received: number;
  duplicates: number;
  errors: number;
  lossPercent: number;
  timeMs: number;
  rtt?: { min: number; avg: number; max: number; mdev: number };
  replies: PingReply[];
  pipe: number;
}

function fmtTrip(us: number): string {
  // ping_common.c: 3 decimals under 1 ms, 2 under 10 ms, 1 under 100 ms, none above.
  if (us >= 100_000 - 50) return `${Math.floor((us + 500) / 1000)}`;
  if (us >= 10_000 - 5) return `${Math.floor((us + 50) / 1000)}.${Math.floor(((us + 50) % 1000) / 100)}`;
  if (us >= 1_000) return `${Math.floor((us + 5) / 1000)}.${String(Math.floor(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

function ms3(us: number): string {
  return `${Math.floor(us / 1000)}.${String(Math.floor(us) % 1000).padStart(3, '0')}`;
}

function isqrt(v: number): number {
  return v <= 0 ? 0 : Math.floor(Math.sqrt(v));
}

/** How a paced run waits; see {@link runPing}. */
export interface PingPacing {
  /**
   * Waits `ms` of wall time. It may return a new Network (the state was saved, the lock let go,
   * and state re-read after the wait): the run goes on over it.
   */
  sleep: (ms: number) => Promise<Network | void>;
  /** True once the run must stop and print its statistics (SIGINT, as iputils does). */
  stopped?: () => boolean;
  /** The process owning the socket, recorded with it in the state. */
  pid?: number;
}

/** Runs ping on the network; `onLine` receives each output line as it is produced. */
export async function runPing(
  firstNet: Network,
  o: PingOptions,
  onLine: (line: string) => void = () => {},
  pacing?: PingPacing | ((ms: number) => Promise<void>),
): Promise<PingResult> {
  const pc: PingPacing | undefined = typeof pacing === 'function' ? { sleep: pacing } : pacing;
  let net = firstNet;
  let state = net.state;
  let ns = getNetns(state, o.ns);
  const size = o.size ?? 56;
  const intervalUs = Math.round((o.interval ?? 1) * 1e6);
  const waitUs = Math.round((o.wait ?? 10) * 1e6);
  if (size < 0 || size > 65507) throw new NetError(`ping: invalid argument: '${size}': out of range: 0 <= value <= 65507`, 2, 'EINVAL');
  if (intervalUs < 2000) throw new NetError('ping: cannot flood; minimal interval allowed for user is 2ms', 2, 'EPERM');
  const v6 = o.family === 6 || (o.family !== 4 && o.target.includes(':'));
  if (o.family === 4 && o.target.includes(':')) throw new NetError(`ping: ${o.target}: Address family for hostname not supported`, 2, 'EAI_FAMILY');
  const t6: Ping6Target | undefined = v6 ? connect6(state, ns, o.target, o.iface) : undefined;
  const addrNum = t6 ? 0 : o.target === 'localhost' ? parseIpv4('127.0.0.1')! : parseIpv4(o.target);
  if (addrNum === undefined) throw new NetError(`ping: ${o.target}: Temporary failure in name resolution`, 2, 'EAI_AGAIN');
  const address = t6 ? t6.address : formatIpv4(addrNum);

  // -I: a device name binds (SO_BINDTODEVICE); an address sets the source.
  let bindDev: string | undefined;
  let srcAddr: number | undefined;
  if (o.iface !== undefined && !t6) {
    if (findIface(ns, o.iface)) bindDev = o.iface;
    else if (parseIpv4(o.iface) !== undefined) {
      srcAddr = parseIpv4(o.iface)!;
      if (!localAddress(ns, srcAddr)) throw new NetError('ping: bind: Cannot assign requested address', 2, 'EADDRNOTAVAIL');
    } else throw new NetError(`ping: SO_BINDTODEVICE ${o.iface}: No such device`, 2, 'ENODEV');
  }
  // connect(): the route must exist now (or the target is local).
  const local = t6 ? undefined : localAddress(ns, addrNum);
  const route = local ? undefined : routeLookup(state, ns, addrNum, bindDev);
  if (!t6 && !local && !route) throw new NetError('ping: connect: Network is unreachable', 2, 'ENETUNREACH');
  const src = srcAddr !== undefined ? formatIpv4(srcAddr) : local ? address : route?.prefsrc ?? '0.0.0.0';

  const lines: string[] = [];
  const emit = (l: string): void => {
    lines.push(l);
    onLine(l);
  };
  const stamp = (): string => {
    if (!o.timestamps) return '';
    const t = Math.floor(state.epochUs + net.now);
    return `[${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, '0')}] `;
  };
  const from = bindDev !== undefined ? `from ${src} ${bindDev}: ` : srcAddr !== undefined ? `from ${src} : ` : '';
  if (t6) emit(`PING ${o.target}(${address}) ${t6.from}${size} data bytes`);
  else emit(`PING ${o.target} (${address}) ${from}${size}(${size + 28}) bytes of data.`);

  const ident = net.rand(1, 0xffff);
  const timing = size >= 16;
  const start = net.now;
  const sentAt = new Map<number, number>();
  const seen = new Set<number>();
  const replies: PingReply[] = [];
  let ntransmitted = 0;
  let nreceived = 0;
  let nrepeats = 0;
  let nerrors = 0;
  let pipesize = 0;
  let tmin = Infinity;
  let tmax = 0;
  let tsum = 0;
  let tsum2 = 0;
  let lastSend = start;

  const acknowledge = (seq: number): void => {
    const diff = (ntransmitted - seq) & 0xffff;
    if (diff <= 0x7fff && diff + 1 > pipesize) pipesize = diff + 1;
  };
  const onDelivery = (d: PingDelivery): void => {
    if (d.kind === 'reply') {
      const t0 = sentAt.get(d.seq);
      if (t0 === undefined) return;
      // The reply is timestamped by the socket a little after it arrived.
      const trip = Math.max(1, Math.round(d.timeUs - t0) + net.rand(12, 30));
      const dup = seen.has(d.seq);
      if (dup) nrepeats++;
      else {
        nreceived++;
        seen.add(d.seq);
        acknowledge(d.seq);
        tsum += trip;
        tsum2 += trip * trip;
        tmin = Math.min(tmin, trip);
        tmax = Math.max(tmax, trip);
        replies.push({ seq: d.seq, ttl: d.ttl, bytes: d.bytes, timeMs: trip / 1000 });
      }
      const who = t6 ? t6.who(d.from) : d.from === address && o.target !== address ? `${o.target} (${address})` : d.from;
      // Without room for a struct timeval (payload < 16) iputils cannot time replies.
      const time = timing ? ` time=${fmtTrip(trip)} ms` : '';
      if (!o.quiet) emit(`${stamp()}${d.bytes} bytes from ${who}: icmp_seq=${d.seq} ttl=${d.ttl}${time}${dup ? ' (DUP!)' : ''}`);
    } else {
      nerrors++;
      acknowledge(d.seq);
      const what = t6 ? icmp6ErrorText(d.type, d.code) : d.code === 0 ? 'Destination Net Unreachable' : d.code === 1 ? 'Destination Host Unreachable' : d.code === 3 ? 'Destination Port Unreachable' : d.code === 2 ? 'Destination Protocol Unreachable' : `Dest Unreachable, Bad Code: ${d.code}`;
      if (!o.quiet) emit(`${stamp()}From ${t6 ? t6.who(d.from) : d.from} icmp_seq=${d.seq} ${what}`);
    }
  };
  let close = net.openPingSocket(ns.name, ident, onDelivery);
  // The socket as the state keeps it, for what other commands deliver while we wait unlocked.
  const record = (): PingSocketState => {
    const list = (state.pingSockets ??= []);
    let r = list.find((p) => p.ns === ns.name && p.ident === ident);
    if (!r) {
      r = { ns: ns.name, ident, inbox: [], ...(pc?.pid !== undefined ? { pid: pc.pid } : {}) };
      list.push(r);
    }
    return r;
  };
  const unrecord = (): void => {
    if (!state.pingSockets) return;
    state.pingSockets = state.pingSockets.filter((p) => !(p.ns === ns.name && p.ident === ident));
    if (state.pingSockets.length === 0) delete state.pingSockets;
  };

  const count = o.count;
  const deadlineAt = o.deadline !== undefined ? start + Math.round(o.deadline * 1e6) : undefined;
  let nextProbe = start;
  const done = (): boolean => {
    if (count !== undefined && nreceived + nerrors >= count) return true;
    if (deadlineAt !== undefined && nerrors > 0) return true;
    return false;
  };
  const pace = async (t: number): Promise<void> => {
    if (!pc || t <= net.now) return;
    if (pc.stopped?.()) return;
    record();
    const fresh = await pc.sleep((t - net.now) / 1000);
    if (fresh && fresh !== net) {
      // Go on over the re-read state: our socket, then what arrived for it meanwhile.
      close();
      net = fresh;
      state = net.state;
      ns = getNetns(state, o.ns);
      close = net.openPingSocket(ns.name, ident, onDelivery);
      const r = record();
      const inbox = r.inbox.splice(0) as PingDelivery[];
      for (const d of inbox) onDelivery(d);
    }
  };

  try {
    for (;;) {
      if (pc?.stopped?.()) break;
      const allSent = count !== undefined && ntransmitted >= count;
      // When everything is sent: linger -W if nothing came back, else 2 × the slowest rtt (ping_common.c).
      const lingerUs = nreceived > 0 ? Math.max(2 * tmax, 1000) : waitUs;
      let actionAt = allSent ? lastSend + lingerUs : nextProbe;
      if (deadlineAt !== undefined && (deadlineAt < actionAt || allSent)) actionAt = Math.min(actionAt, deadlineAt);
      const ev = net.nextEventAt();
      if (ev !== undefined && ev <= actionAt) {
        await pace(ev);
        // After an unlocked wait the state was re-read: run the event only if it is still next.
        if (net.nextEventAt() === ev) net.step();
        if (done()) break;
        continue;
      }
      await pace(actionAt);
      if (pc?.stopped?.()) break;
      net.advanceTo(actionAt);
      if (deadlineAt !== undefined && net.now >= deadlineAt) break;
      if (allSent) break;
      // Send probe ntransmitted+1.
      ntransmitted++;
      const seq = ntransmitted & 0xffff;
      lastSend = net.now;
      sentAt.set(seq, net.now);
      const payload = pingPayload(size, state.epochUs + net.now);
      const msg = buildIcmp(ICMP_ECHO, 0, (ident << 16) | seq, payload);
      const r = t6 ? t6.send(net, ns, ident, seq, payload) : net.output(ns, {
        ...(srcAddr !== undefined || local ? { src: parseIpv4(src)! } : {}),
        dst: addrNum,
        proto: IPPROTO_ICMP,
        payload: msg,
        df: true,
        ...(bindDev !== undefined ? { dev: bindDev } : {}),
        origin: { ident, seq },
      });
      if (r === 'ENETUNREACH') {
        // The route went away mid-run: sendmsg fails; iputils prints the errno per probe.
        nerrors++;
        if (!o.quiet) emit('ping: sendmsg: Network is unreachable');
      }
      // iputils' pacing drifts by the time each send takes (observed ~10–20 ms per probe).
      nextProbe = net.now + intervalUs + net.rand(5_000, 22_000);
      if (done()) break;
    }
  } finally {
    close();
    unrecord();
  }

  const timeMs = Math.floor((lastSend - start) / 1000);
  const loss = ntransmitted ? Math.trunc(((ntransmitted - nreceived) * 100) / ntransmitted) : 0;
  emit('');
  emit(`--- ${o.target} ping statistics ---`);
  let stat = `${ntransmitted} packets transmitted, ${nreceived} received`;
  if (nrepeats) stat += `, +${nrepeats} duplicates`;
  if (nerrors) stat += `, +${nerrors} errors`;
  stat += `, ${loss}% packet loss, time ${timeMs}ms`;
  emit(stat);
  let tail = '';
  let rtt: PingResult['rtt'];
  if (nreceived > 0 && timing) {
    const total = nreceived + nrepeats;
    const avg = Math.floor(tsum / total);
    // iputils: tmvar = (tsum2 - tsum²/n) / n, integer µs, then an integer square root.
    const mdev = isqrt(Math.floor((tsum2 - Math.floor((tsum * tsum) / total)) / total));
    tail = `rtt min/avg/max/mdev = ${ms3(tmin)}/${ms3(avg)}/${ms3(tmax)}/${ms3(mdev)} ms`;
    rtt = { min: tmin / 1000, avg: avg / 1000, max: tmax / 1000, mdev: mdev / 1000 };
  }
  if (pipesize > 1) tail += `${tail ? ', ' : ''}pipe ${pipesize}`;
  emit(tail);
  const exitCode = deadlineAt !== undefined && count !== undefined ? (nreceived < count ? 1 : 0) : nreceived > 0 ? 0 : 1;
  const result: PingResult = {
    lines,
    exitCode,
    target: o.target,
    address,
    transmitted: ntransmitted,
    received: nreceived,
    duplicates: nrepeats,
    errors: nerrors,
    lossPercent: loss,
    timeMs,
    replies,
    pipe: pipesize,
  };
  if (rtt) result.rtt = rtt;
  return result;
}
