/**
 * `xdpts packet SPEC` — the packet builder on its own: builds a frame from the layer syntax
 * (`eth()/ipv4(dst=10.0.0.2)/udp(dport=53)`) and prints it as hex (the default, what
 * `xdpts run --packet` takes), as a decoded field list (`--decode`), or writes a capture
 * (`--pcap out.pcap`, readable by tcpdump and `xdpts run --pcap`). `--layers` lists the layers
 * and their fields.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodedFields, LAYERS, packet, PacketSpecError, summarizePacket } from '../../packet';
import { writePcap } from '../../pcap';
import { UsageError } from '../../util/errors';
import { toHex } from '../../util/hex';
import { EXIT_OK, out, outJson, runCommand, type CommonOptions } from '../output';
import type { RegisterCommand } from './index';

interface PacketOptions extends CommonOptions {
  hex?: boolean;
  pcap?: string;
  decode?: boolean;
  layers?: boolean;
}

function layersHelp(): string {
  return LAYERS.map((l) => `${l.name.padEnd(8)} ${l.summary}\n${' '.repeat(9)}fields: ${l.fields.map((f) => f.name).join(', ')}`).join('\n');
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('packet')
    .description('build a packet from layers, e.g. \'eth()/ipv4(dst=10.0.0.2)/udp(dport=53)/payload(len=20)\'')
    .argument('[spec]', 'layers separated by /, each with optional (field=value, ...)')
    .option('--hex', 'print the frame as hex (the default)')
    .option('--pcap <file>', 'write the frame to a pcap capture')
    .option('--decode', 'print every field of the frame, decoded')
    .option('--layers', 'list the layers and their fields')
    .option('--json', 'print {hex, length, summary, fields} as JSON')
    .action((spec: string | undefined, opts: PacketOptions) =>
      runCommand(opts.json, setExit, () => {
        if (opts.layers) {
          if (opts.json) outJson(LAYERS.map((l) => ({ name: l.name, aliases: l.aliases, summary: l.summary, fields: l.fields.map((f) => f.name) })));
          else out(layersHelp());
          return EXIT_OK;
        }
        if (spec === undefined) throw new UsageError('missing packet spec (see xdpts packet --layers)');
        let frame: Uint8Array;
        try {
          frame = packet.parse(spec).build();
        } catch (e) {
          if (e instanceof PacketSpecError) throw new UsageError(`${spec}\n${' '.repeat(e.offset)}^\nerror: ${e.reason} (column ${e.offset + 1})`);
          throw e;
        }
        if (opts.pcap) writeFileSync(opts.pcap, writePcap([{ timeUs: 0, data: frame }]));
        const fields = decodedFields(packet.decode(frame).layers);
        if (opts.json) {
          outJson({ hex: toHex(frame), length: frame.length, summary: summarizePacket(frame), fields: Object.fromEntries(fields.map((f) => [f.path, f.text])) });
        } else if (opts.decode) {
          out([`${summarizePacket(frame)} (${frame.length} bytes)`, ...fields.map((f) => `  ${f.path} = ${f.text}`)].join('\n'));
        } else if (opts.hex || !opts.pcap) out(toHex(frame));
        return EXIT_OK;
      }),
    );
};
