import type { CounterUnit } from '../../shared/api/boards';
import type { HelloInfo } from '../../shared/protocol';

/** What a board's elapsed counts are, spelled out for every output that shows one. */
export function counterUnitOf(info: HelloInfo): CounterUnit {
  switch (info.counterKind) {
    case 'instructions':
      return {
        kind: 'instructions',
        label: `instructions (QEMU -icount shift=${info.icountShift}, not cycles)`,
      };
    case 'microseconds':
      return { kind: 'microseconds', label: 'microseconds (board timer)' };
    default:
      return {
        kind: 'cycles',
        label: `cycles @ ${(info.clockHz / 1e6).toFixed(info.clockHz % 1e6 ? 2 : 0)} MHz`,
      };
  }
}
