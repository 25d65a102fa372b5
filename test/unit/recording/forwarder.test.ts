import { SerialPortMock } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serialBytePort } from '../../../src/main/recording/byte-port';
import { SessionsRepo } from '../../../src/main/store/sessions-repo';
import { recordingContext, sleep } from '../../support/recording-context';

const PATH = '/dev/ttyFAKE0';
let ports: SerialPortMock[] = [];
const open: Array<{ ctx: { close(): Promise<void> } }> = [];

beforeEach(() => {
  SerialPortMock.binding.reset();
  SerialPortMock.binding.createPort(PATH, { echo: false, record: false });
  ports = [];
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.ctx.close();
});

function setup(detectMs = 300) {
  const r = recordingContext({
    deps: {
      openBytePort: (p, baud) =>
        serialBytePort(p, baud, (o) => {
          const port = new SerialPortMock(o);
          ports.push(port);
          return port;
        }),
      forwarder: { detectMs, firstLineTimeoutMs: 400 },
    },
  });
  open.push(r);
  return r;
}

/** Feeds `lines` to the mock port at `hz`, in bursts of `burst` lines as a USB adapter does. */
function feed(lines: () => string, hz: number, burst = 4): () => void {
  const t = setInterval(
    () => {
      const port = ports[ports.length - 1];
      if (!port?.isOpen) return;
      let text = '';
      for (let i = 0; i < burst; i++) text += lines();
      port.port!.emitData(Buffer.from(text));
    },
    (1000 * burst) / hz,
  );
  return () => clearInterval(t);
}

describe('data forwarder (text lines from any firmware)', () => {
  it('reads a header, measures the rate, records, and reports bad lines with their line number', async () => {
    const r = setup();
    let n = 0;
    const stopFeed = feed(() => {
      n++;
      if (n === 1) return 'ax\tay\taz\r\n';
      if (n === 120) return '1.0\tbroken\t3\r\n';
      if (n === 121) return '1.0\t2.0\r\n';
      return `${n}\t${-n}\t${n * 0.5}\r\n`;
    }, 200);
    try {
      const n0 = n;
      const t0 = performance.now();
      const st = await r.service.start({ board: PATH, source: 'forwarder', label: 'wave' });
      // The lines the feed really sent meanwhile: on a busy machine its timer runs late, below 200 Hz.
      const sentHz = ((n - n0) * 1000) / (performance.now() - t0);
      expect(st.state).toBe('recording');
      expect(st.stream).toBe('forwarder');
      expect(st.channels).toEqual(['ax', 'ay', 'az']);
      // measured from arrival times over the 300 ms pre-roll (timer jitter makes it approximate)
      expect(st.rateHz).toBeGreaterThan(0.6 * sentHz);
      expect(st.rateHz).toBeLessThan(1.5 * Math.max(sentHz, 200));
      // Until the two bad lines (120, 121) and some good ones after them have been sent.
      for (let waited = 0; n < 140 && waited < 10_000; waited += 20) await sleep(20);
      await sleep(100);
      const s = (await r.service.stop())!;
      expect(s.state).toBe('complete');
      expect(s.samples).toBeGreaterThan(50);
      expect(s.clock).toBe('host');
      const d = await r.service.session({ id: s.id });
      expect(d.bad_lines).toBe(2);
      expect(d.warnings).toEqual([
        `${PATH} line 120: field 2: "broken" is not a number`,
        `${PATH} line 121: 2 fields, expected 3`,
      ]);
      // Values are stored as sent: each row is (k, -k, k/2) for consecutive k.
      const { data, nSamples } = new SessionsRepo(r.ctx.db).readSamples(s.id);
      for (let i = 0; i < nSamples; i++) {
        expect(data[i * 3 + 1]).toBe(-data[i * 3]!);
        expect(data[i * 3 + 2]).toBe(data[i * 3]! / 2);
      }
    } finally {
      stopFeed();
    }
  });

  it('uses the given rate and column names', async () => {
    const r = setup();
    const stopFeed = feed(() => '1 2\n', 100, 2);
    try {
      const st = await r.service.start({
        board: PATH,
        source: 'forwarder',
        rateHz: 50,
        channels: ['left', 'right'],
      });
      expect(st).toMatchObject({ rateHz: 50, channels: ['left', 'right'] });
      await sleep(200);
      const s = (await r.service.stop())!;
      expect(s.rate_hz).toBe(50);
      await expect(
        r.service.start({ board: PATH, source: 'forwarder', channels: ['a', 'b', 'c'] }),
      ).rejects.toThrow(/3 channel names given \(a, b, c\) but the lines have 2 columns/);
    } finally {
      stopFeed();
    }
  });

  it('names the port when nothing or only garbage arrives', async () => {
    const r = setup(100);
    await expect(r.service.start({ board: PATH, source: 'forwarder' })).rejects.toThrow(
      new RegExp(`No text lines from ${PATH} in .* s`),
    );
    const stopFeed = feed(() => 'hello world!\n', 100);
    try {
      await expect(r.service.start({ board: PATH, source: 'forwarder' })).rejects.toThrow(
        /lines from \/dev\/ttyFAKE0 in [0-9.]+ s, none with numbers: .*line 1: field 1: "hello" is not a number/,
      );
    } finally {
      stopFeed();
    }
    await expect(r.service.start({ board: '/dev/nope', source: 'forwarder' })).rejects.toThrow(
      /Cannot open serial port \/dev\/nope/,
    );
    expect(await r.service.sessions()).toEqual([]);
  });

  it('marks the session interrupted when the port goes away', async () => {
    const r = setup();
    const stopFeed = feed(() => '1,2,3\n', 200);
    try {
      await r.service.start({ board: PATH, source: 'forwarder', rateHz: 200 });
      await sleep(150);
      ports[0]!.port!.close();
      ports[0]!.emit('close', new Error('device disconnected'));
      const s = (await r.service.wait())!;
      expect(s.state).toBe('interrupted');
      expect(s.samples).toBeGreaterThan(0);
    } finally {
      stopFeed();
    }
  });
});
