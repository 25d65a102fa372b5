import { describe, expect, it } from 'vitest';
import {
  allChannels,
  channelOf,
  contract,
  parseChannel,
  type ServiceImpl,
} from '../../src/shared/api/contract';
import { createDispatcher } from '../../src/main/api/dispatcher';
import { BitbenchError } from '../../src/shared/errors';
import { AppContext } from '../../src/main/context';
import { openStore } from '../../src/main/store/database';
import { createServices } from '../../src/main/services';
import { resolveConfig } from '../../src/main/quant/quant-service';
import { QuantizeInput } from '../../src/shared/api/quant';

function services(): ServiceImpl {
  const ctx = new AppContext(openStore(':memory:'), 'cli');
  return createServices(ctx);
}

describe('contract', () => {
  it('every declared method is implemented exactly once', () => {
    const impl = services() as unknown as Record<string, Record<string, unknown>>;
    for (const { service, method } of allChannels()) {
      expect(typeof impl[service]?.[method], `${service}.${method}`).toBe('function');
    }
    for (const service of Object.keys(impl)) {
      expect(Object.hasOwn(contract, service), `unexpected service ${service}`).toBe(true);
    }
  });

  it('parses only well-formed channels of the contract', () => {
    expect(parseChannel(channelOf('jobs', 'list'))).toEqual({ service: 'jobs', method: 'list' });
    expect(parseChannel('jobs.list')).toBeUndefined();
    expect(parseChannel('bb:jobs.nope')).toBeUndefined();
    expect(parseChannel('bb:__proto__.toString')).toBeUndefined();
    expect(parseChannel('bb:jobs.list.extra')).toBeUndefined();
  });
});

describe('quantize request', () => {
  it('keeps only the config fields it was given, so the method string decides the rest', () => {
    // Validated as the renderer's request crosses IPC: zod 4 would fill every PtqConfig default into a
    // `.partial()` config, and MinMax without bias correction would override the method.
    const req = QuantizeInput.parse({
      model: 'm-fp',
      name: 'm-w4a4',
      method: 'mse+adaround+bias-correction+range-tuning',
      config: { weightBits: 4, actBits: 4, calibSize: 256 },
    });
    expect(req.config).toEqual({ weightBits: 4, actBits: 4, calibSize: 256 });
    const config = resolveConfig(req.method, req.config);
    expect(config).toMatchObject({
      weightBits: 4,
      weightRange: 'mse',
      actRange: 'mse',
      optimizer: 'adaround',
      biasCorrection: true,
      biasTuning: true,
      rangeTuning: true,
      calibSize: 256,
    });
    expect(() => QuantizeInput.parse({ model: 'm', name: 'n', config: { weightBits: 9 } })).toThrow(/1\.\.8/);
  });
});

describe('dispatcher', () => {
  const dispatch = createDispatcher(services(), { validateOutput: true });

  it('answers a valid call', async () => {
    const reply = await dispatch('bb:jobs.list', { limit: 5 });
    expect(reply).toEqual({ ok: true, value: [] });
  });

  it('applies input defaults', async () => {
    const reply = await dispatch('bb:jobs.list', undefined);
    expect(reply.ok).toBe(true);
  });

  it('rejects a bad payload with a typed error naming the field', async () => {
    const reply = await dispatch('bb:jobs.list', { limit: 'lots' });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('bad_request');
      expect(reply.error.message).toMatch(/limit/);
    }
  });

  it('rejects an unknown channel', async () => {
    const reply = await dispatch('bb:nope.nothing', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('turns a handler error into a reply, never a crash', async () => {
    const impl = services();
    impl.jobs.get = () => {
      throw new BitbenchError('not_found', 'No such job.');
    };
    impl.jobs.cancel = () => {
      throw new TypeError('boom');
    };
    const d = createDispatcher(impl);
    expect(await d('bb:jobs.get', { id: 'x' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No such job.' },
    });
    expect(await d('bb:jobs.cancel', { id: 'x' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'boom' },
    });
  });

  it('catches an implementation that breaks its output contract', async () => {
    const impl = services();
    impl.jobs.cancel = () => ({ cancelled: 'yes' }) as unknown as { cancelled: boolean };
    const d = createDispatcher(impl, { validateOutput: true });
    expect(await d('bb:jobs.cancel', { id: 'x' })).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});
