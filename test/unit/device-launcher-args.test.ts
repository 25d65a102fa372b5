// The launcher's QEMU command lines must be the ones the firmware documents (firmware/README.md,
// "Launching the virtual boards"): that is where addresses and the icount shift are decided.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../src/main/paths';
import { qemuArgs, VIRTUAL_BOARDS } from '../../src/main/device/virtual-boards';

const readme = path.join(appRoot(), 'firmware', 'README.md');
const section = existsSync(readme)
  ? (readFileSync(readme, 'utf8').split('## Launching the virtual boards')[1] ?? '')
  : '';
if (!section)
  console.warn('[skipped] launcher args vs firmware/README.md: no "Launching the virtual boards" section');

function documented(machine: string): string[] {
  const block = new RegExp('\\*\\*' + machine + '\\*\\*[^`]*```\\n([\\s\\S]*?)```').exec(section)?.[1];
  if (!block) throw new Error(`no command line for ${machine} in firmware/README.md`);
  return block.replace(/\\\n/g, ' ').trim().split(/\s+/).slice(1); // drop "qemu-system-arm"
}

describe.skipIf(!section)('virtual board command lines', () => {
  it.each(Object.values(VIRTUAL_BOARDS))('$spec matches firmware/README.md', (def) => {
    const root = appRoot();
    const ours = qemuArgs(def).map((a) => a.split(root + path.sep).join(''));
    const doc = documented(def.machine);
    // The replay is optional (the launcher adds it when the file exists); compare it when present.
    const withoutReplay = (xs: string[]) =>
      xs.filter((x, i) => !(x.includes('.bbrp') || xs[i + 1]?.includes('.bbrp')));
    expect(withoutReplay(ours).map((x) => x.toLowerCase())).toEqual(
      withoutReplay(doc).map((x) => x.toLowerCase()),
    );
    if (ours.some((x) => x.includes('.bbrp'))) {
      const replayOf = (xs: string[]) =>
        xs
          .find((x) => x.includes('.bbrp'))!
          .replace(/file=[^,]+,/, 'file=*,')
          .toLowerCase();
      expect(replayOf(ours)).toBe(replayOf(doc));
    }
  });
});
