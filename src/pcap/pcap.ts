/**
 * Classic libpcap files (the format tcpdump -w writes and -r reads): a 24-byte global header
 * (magic 0xa1b2c3d4 for µs timestamps or 0xa1b23c4d for ns, version 2.4, snaplen, link type)
 * then records of a 16-byte header (ts_sec, ts_usec/ts_nsec, incl_len, orig_len) and the bytes.
 * Either byte order is read; files are written little-endian with µs timestamps.
 */
import { concatBytes, XdptsError } from '../util/index';

/** LINKTYPE_ETHERNET (DLT_EN10MB). */
export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** Default snapshot length (tcpdump's 262144). */
export const DEFAULT_SNAPLEN = 262144;

/** A malformed capture file: `offset` is where in the file the problem is. */
export class PcapError extends XdptsError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`, 'pcap');
    this.name = 'PcapError';
    this.offset = offset;
  }
}

/** One captured packet. */
export interface PcapRecord {
  /** Capture time in µs since the epoch. */
  timeUs: number;
  /** The captured bytes (incl_len of them). */
  data: Uint8Array;
  /** The length on the wire (orig_len). */
  origLen: number;
}

/** A parsed capture file. */
export interface PcapFile {
  linktype: number;
  snaplen: number;
  nanosecond: boolean;
  records: PcapRecord[];
}

/** The 24-byte global header for a new file. */
export function pcapHeader(linktype = LINKTYPE_ETHERNET, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC_US, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/** One record (16-byte header + data truncated to `snaplen`). */
export function pcapRecord(rec: { timeUs: number; data: Uint8Array }, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  const incl = Math.min(rec.data.length, snaplen);
  const b = new Uint8Array(16 + incl);
  const v = new DataView(b.buffer);
  const t = Math.max(0, Math.floor(rec.timeUs));
  v.setUint32(0, Math.floor(t / 1e6), true);
  v.setUint32(4, t % 1e6, true);
  v.setUint32(8, incl, true);
  v.setUint32(12, rec.data.length, true);
  b.set(rec.data.subarray(0, incl), 16);
  return b;
}

/** A whole file from records. */
export function writePcap(records: { timeUs: number; data: Uint8Array }[], linktype = LINKTYPE_ETHERNET, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  return concatBytes([pcapHeader(linktype, snaplen), ...records.map((r) => pcapRecord(r, snaplen))]);
}

/** Parses a capture file of either byte order and timestamp precision; PcapError with the offset when malformed. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new PcapError(`truncated pcap global header: ${bytes.length} of 24 bytes`, 0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  const m = v.getUint32(0, true);
  const mbe = v.getUint32(0, false);
  let ns: boolean;
  if (m === MAGIC_US || m === MAGIC_NS) {
    le = true;
    ns = m === MAGIC_NS;
  } else if (mbe === MAGIC_US || mbe === MAGIC_NS) {
    le = false;
    ns = mbe === MAGIC_NS;
  } else if (m === 0x0a0d0d0a) {
    throw new PcapError('this is a pcapng file; only classic pcap is supported (convert it with `editcap -F pcap`)', 0);
  } else throw new PcapError(`bad pcap magic 0x${m.toString(16).padStart(8, '0')}`, 0);
  const major = v.getUint16(4, le);
  if (major !== 2) throw new PcapError(`unsupported pcap version ${major}.${v.getUint16(6, le)}`, 4);
  const snaplen = v.getUint32(16, le);
  const linktype = v.getUint32(20, le) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) throw new PcapError(`truncated record header: ${bytes.length - off} of 16 bytes`, off);
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    const orig = v.getUint32(off + 12, le);
    if (incl > 0x4000000) throw new PcapError(`record length ${incl} is implausible`, off + 8);
    if (off + 16 + incl > bytes.length) throw new PcapError(`truncated record: ${bytes.length - off - 16} of ${incl} bytes`, off + 16);
    records.push({ timeUs: sec * 1e6 + (ns ? Math.floor(frac / 1000) : frac), data: bytes.slice(off + 16, off + 16 + incl), origLen: orig });
    off += 16 + incl;
  }
  return { linktype, snaplen, nanosecond: ns, records };
}
