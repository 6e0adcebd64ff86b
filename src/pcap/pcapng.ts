/**
 * pcapng files (draft-ietf-opsawg-pcapng, the format Wireshark and `tcpdump -w` in newer builds
 * write): blocks of { u32 type, u32 total length, body, u32 total length }. Read here: the
 * Section Header Block (0x0A0D0D0A, byte-order magic 0x1A2B3C4D, either order), Interface
 * Description Blocks (type 1: link type, snaplen, and the if_tsresol option), Enhanced Packet
 * Blocks (type 6) and Simple Packet Blocks (type 3); other blocks are skipped as the format
 * allows. Packets come out as {@link PcapRecord}s, so callers handle both formats alike.
 */
import { PcapError, readPcap, type PcapFile, type PcapRecord } from './pcap';

const SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Parses a pcapng file; PcapError with the offset when malformed. */
export function readPcapng(bytes: Uint8Array): PcapFile {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  const ifaces: { linktype: number; snaplen: number; unitsPerSec: number }[] = [];
  const records: PcapRecord[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) throw new PcapError(`truncated pcapng block header: ${bytes.length - off} of 12 bytes`, off);
    if (v.getUint32(off, true) === SHB) {
      const bom = v.getUint32(off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (v.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else throw new PcapError(`bad pcapng byte-order magic 0x${bom.toString(16)}`, off + 8);
      ifaces.length = 0; // interface ids are per section
    }
    const type = v.getUint32(off, le);
    const len = v.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > bytes.length) throw new PcapError(`bad pcapng block length ${len}`, off + 4);
    const body = off + 8;
    if (type === 1) {
      const linktype = v.getUint16(body, le);
      const snaplen = v.getUint32(body + 4, le);
      let unitsPerSec = 1e6;
      // Options: code 9 (if_tsresol) gives 10^-n or 2^-n seconds.
      for (let o = body + 8; o + 4 <= off + len - 4; ) {
        const code = v.getUint16(o, le);
        const olen = v.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = bytes[o + 4]!;
          unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        o += 4 + Math.ceil(olen / 4) * 4;
      }
      ifaces.push({ linktype, snaplen, unitsPerSec });
    } else if (type === 6 || type === 3) {
      const iface = ifaces[type === 6 ? v.getUint32(body, le) : 0];
      if (!iface) throw new PcapError('packet block before its interface description block', off);
      const incl = type === 6 ? v.getUint32(body + 12, le) : Math.min(v.getUint32(body, le), len - 16);
      const orig = type === 6 ? v.getUint32(body + 16, le) : v.getUint32(body, le);
      const data = type === 6 ? body + 20 : body + 4;
      if (data + incl > off + len - 4) throw new PcapError(`pcapng packet of ${incl} bytes overruns its block`, off);
      const ts = type === 6 ? v.getUint32(body + 4, le) * 2 ** 32 + v.getUint32(body + 8, le) : 0;
      records.push({ timeUs: Math.floor((ts * 1e6) / iface.unitsPerSec), data: bytes.slice(data, data + incl), origLen: orig });
    }
    off += len;
  }
  const first = ifaces[0];
  return { linktype: first?.linktype ?? 1, snaplen: first?.snaplen ?? 0, nanosecond: false, records };
}

/** Reads a classic pcap or a pcapng file, by its magic. */
export function readCapture(bytes: Uint8Array): PcapFile {
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === SHB) return readPcapng(bytes);
  return readPcap(bytes);
}
