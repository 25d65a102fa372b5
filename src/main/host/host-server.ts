import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_PREFIX } from '../../shared/api/contract';
import type { Dispatch } from '../api/dispatcher';
import type { EventHub } from '../api/event-hub';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The renderer's CSP: no remote content, no inline scripts, no eval; only our own origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export interface HostOptions {
  dispatch: Dispatch;
  events: EventHub;
  /** Built renderer (out/renderer). */
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface RunningHost {
  url: string;
  /** URL with the token, to open in a browser. */
  openUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * The headless host: the same typed API as the Electron preload, over loopback HTTP (calls) and a
 * WebSocket (events). Bound to 127.0.0.1 only; every API call and socket needs the per-run token;
 * requests from another Origin and oversized bodies are refused.
 */
export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  let origin = '';

  const originOk = (req: http.IncomingMessage): boolean => {
    const o = req.headers.origin;
    return o === undefined || o === origin;
  };
  const tokenOk = (provided: string | undefined): boolean =>
    provided !== undefined && sameToken(provided, token);

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.normalize(path.join(opts.rendererDir, rel));
    if (
      !file.startsWith(path.normalize(opts.rendererDir + path.sep)) ||
      !existsSync(file) ||
      !statSync(file).isFile()
    ) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  };

  const handleApi = (req: http.IncomingMessage, res: http.ServerResponse, channel: string) => {
    if (req.method !== 'POST')
      return send(res, 405, { ok: false, error: { code: 'bad_request', message: 'POST only' } });
    if (!originOk(req))
      return send(res, 403, { ok: false, error: { code: 'bad_request', message: 'Foreign origin.' } });
    const auth = req.headers.authorization;
    if (!tokenOk(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined)) {
      return send(res, 401, {
        ok: false,
        error: { code: 'bad_request', message: 'Missing or wrong token.' },
      });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      res.setHeader('connection', 'close');
      send(res, 413, {
        ok: false,
        error: { code: 'bad_request', message: `Body larger than ${MAX_BODY_BYTES} bytes.` },
      });
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES && !aborted) {
        aborted = true;
        res.setHeader('connection', 'close');
        send(res, 413, {
          ok: false,
          error: { code: 'bad_request', message: `Body larger than ${MAX_BODY_BYTES} bytes.` },
        });
        req.destroy();
        return;
      }
      if (!aborted) chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      let input: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text.length === 0 ? undefined : JSON.parse(text);
      } catch {
        return send(res, 400, { ok: false, error: { code: 'bad_request', message: 'Body is not JSON.' } });
      }
      opts.dispatch(channel, input).then(
        (reply) => send(res, 200, reply),
        (err: unknown) => send(res, 500, { ok: false, error: { code: 'internal', message: String(err) } }),
      );
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin || 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/'))
      return handleApi(req, res, decodeURIComponent(url.pathname.slice(5)));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405);
      res.end();
      return;
    }
    serveStatic(req, res);
  });
  server.requestTimeout = 0; // long calls (a training job's start) are fine; bodies are bounded above

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    if (
      url.pathname !== '/events' ||
      !originOk(req) ||
      !tokenOk(url.searchParams.get('token') ?? undefined)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = opts.events.subscribe((name, payload) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ event: `${EVENT_PREFIX}${name}`, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    openUrl: `${origin}/#token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
