// Child process for the crash tests: records until it is killed. Usage:
//   tsx test/support/record-child.ts <db> <board|fake> <rateHz>
// Prints one JSON line {"sessionId":…} once samples flow; the parent SIGKILLs it mid-session.
import { createAppContext } from '../../src/main/context';
import { recordingManager } from '../../src/main/recording/recording-service';
import { FakeSensorStream } from './fake-sensor-stream';

const [dbPath, board = 'fake', rate = '100'] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: record-child.ts <db> <board|fake> <rateHz>');
const ctx = createAppContext({ dbPath, shell: 'cli' });
const fake = board === 'fake' ? new FakeSensorStream({ autoRun: true, samplesPerFrame: 10 }) : undefined;
const manager = recordingManager(
  ctx,
  fake ? { connector: { open: async () => ({ stream: fake, release: async () => undefined }) } } : {},
);
const st = await manager.start({
  board,
  source: 'bitbench',
  rateHz: Number(rate),
  baudRate: 115200,
  countdownS: 0,
  label: 'crash',
  name: 'killed mid-session',
});
process.stdout.write(JSON.stringify({ sessionId: st.sessionId }) + '\n');
setInterval(() => undefined, 1000);
