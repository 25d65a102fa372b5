import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDispatcher } from '../../src/main/api/dispatcher';
import { AppContext } from '../../src/main/context';
import { MAX_BODY_BYTES, startHost, type RunningHost } from '../../src/main/host/host-server';
import { createServices } from '../../src/main/services';
import { openStore } from '../../src/main/store/database';

let host: RunningHost;
let ctx: AppContext;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-host-'));
  mkdirSync(path.join(dir, 'renderer'));
  writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>bitbench</title>');
  writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  ctx = new AppContext(openStore(':memory:'), 'headless-host');
  host = await startHost({
    dispatch: createDispatcher(createServices(ctx)),
    events: ctx.events,
    rendererDir: path.join(dir, 'renderer'),
  });
});
afterAll(async () => {
  await host.close();
  await ctx.close();
});

function call(channel: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${host.url}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}`, ...headers },
    body,
  });
}

/** Raw request, for paths fetch would normalise. */
function rawGet(p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: p, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('headless host', () => {
  it('binds to loopback only and gives a token URL', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.openUrl).toContain(`#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the UI with a strict CSP', async () => {
    const res = await fetch(host.url + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/object-src 'none'/);
  });

  it('never serves files outside the renderer folder', async () => {
    expect(await rawGet('/../secret.txt')).toBe(404);
    expect(await rawGet('/%2e%2e/secret.txt')).toBe(404);
  });

  it('answers an API round trip with the token', async () => {
    const res = await call('bb:jobs.list', '{"limit":3}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, value: [] });
  });

  it('rejects calls without the token or with a wrong one', async () => {
    expect((await call('bb:jobs.list', '{}', { authorization: '' })).status).toBe(401);
    expect((await call('bb:jobs.list', '{}', { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('rejects calls from another origin', async () => {
    expect((await call('bb:jobs.list', '{}', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('bb:jobs.list', '{}', { origin: host.url })).status).toBe(200);
  });

  it('rejects oversized bodies', async () => {
    const big = JSON.stringify({ limit: 1, pad: 'x'.repeat(MAX_BODY_BYTES + 10) });
    const res = await call('bb:jobs.list', big).catch(() => undefined);
    if (res) expect(res.status).toBe(413);
  });

  it('answers bad JSON and bad payloads with a typed error', async () => {
    expect((await call('bb:jobs.list', '{not json')).status).toBe(400);
    const res = await call('bb:jobs.list', '{"limit":-4}');
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('pushes events over the WebSocket only with the token', async () => {
    const bad = new WebSocket(`${host.url.replace('http', 'ws')}/events?token=wrong`);
    await new Promise<void>((resolve) => bad.on('error', () => resolve()));
    const ws = new WebSocket(`${host.url.replace('http', 'ws')}/events?token=${host.token}`);
    await new Promise<void>((resolve) => ws.on('open', () => resolve()));
    const got = new Promise<{ event: string; payload: { kind: string } }>((resolve) =>
      ws.on('message', (m) => resolve(JSON.parse(String(m)))),
    );
    await ctx.jobs.start('ping', {}, async () => 1).done;
    const msg = await got;
    expect(msg.event).toBe('bb-event:job');
    expect(msg.payload.kind).toBe('ping');
    ws.close();
  });
});
