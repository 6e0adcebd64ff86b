/**
 * `xdpts playground [--port N]`: serves the browser playground (dist/web, built by `npm run
 * build:web`) on http://127.0.0.1:PORT, prints the URL and serves until Ctrl-C (SIGINT or
 * SIGTERM close the server and exit 0). Static files only, from that folder only; the page does
 * all the work itself, and its Content-Security-Policy forbids anything but its own script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError, XdptsError } from '../../util/errors';
import { EXIT_OK, out, outJson, runCommand, type CommonOptions } from '../output';
import type { RegisterCommand } from './index';

interface PlaygroundOptions extends CommonOptions {
  port?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** dist/web beside the CLI bundle (dist/xdpts.mjs), or in the checkout when run from src/. */
export function webDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const found = [join(here, 'web'), join(here, '..', '..', '..', 'dist', 'web')].find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new XdptsError('the playground is not built: run `npm run build:web` (it writes dist/web)', 'ENOENT');
  return found;
}

/** A static server of `dir` on 127.0.0.1:`port` (0: any free port); resolves once listening. */
export function servePlayground(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !file.startsWith(root + sep) || !existsSync(file) || !TYPES[extname(file)]) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)]!,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // No eval, no inline script, nothing from elsewhere: user text can never become code.
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'",
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(new XdptsError(e.code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port` : e.message, e.code ?? 'EIO')));
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/` });
    });
  });
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return 8417;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new UsageError(`invalid --port '${v}': expected 0 to 65535 (0: any free port)`);
  return n;
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('playground')
    .description('serve the browser playground (assemble, verify, explain, run and step in the page) on http://127.0.0.1:PORT')
    .option('--port <n>', 'TCP port on 127.0.0.1 (default 8417; 0: any free port)')
    .option('--json', 'print {"url": ...} as JSON')
    .action((opts: PlaygroundOptions) =>
      runCommand(opts.json, setExit, async () => {
        const port = parsePort(opts.port);
        const { server, url } = await servePlayground(webDir(), port);
        if (opts.json) outJson({ url });
        else out(`xdpts playground on ${url} (Ctrl-C to stop)`);
        await new Promise<void>((done) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            server.close(() => done());
            server.closeAllConnections();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        return EXIT_OK;
      }),
    );
};
