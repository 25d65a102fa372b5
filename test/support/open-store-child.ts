// Opens a database at an agreed moment, so that several processes run its migrations at once:
// argv = [dbPath, startAtEpochMs]. Prints the schema version; exits 1 with the error otherwise.
import { openStore } from '../../src/main/store/database';

const [file, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {
  // Spin rather than sleep: timers wake up to a few ms late, the processes should not.
}
try {
  const s = openStore(file!);
  process.stdout.write(`${s.schemaVersion}\n`);
  s.close();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
