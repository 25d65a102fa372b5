#!/bin/sh
# Run a virtual board by hand: firmware/scripts/run-qemu.sh <mps2-an386|microbit> [replay.bbrp]
# QEMU prints "char device redirected to /dev/pts/N": open that path (raw, any baud), then send
# HELLO. The command lines here are the ones documented in firmware/README.md
# ("Launching the virtual boards"); keep the two in step.
set -eu
board=${1:?usage: run-qemu.sh <mps2-an386|microbit> [replay.bbrp]}
replay=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
elf="$here/build/$board/bitbench.elf"

case "$board" in
mps2-an386) machine=mps2-an386 shift=5 replay_addr=0x00100000 ;;
microbit) machine=microbit shift=6 replay_addr=0x0000C000 ;;
*) echo "unknown virtual board: $board (mps2-an386, microbit)" >&2; exit 2 ;;
esac
# Another shift can be chosen (BB_ICOUNT_SHIFT=0..10); the config word tells the firmware.
shift=${BB_ICOUNT_SHIFT:-$shift}
[ -f "$elf" ] || { echo "missing $elf: run 'make -C firmware' first" >&2; exit 2; }

set -- -M "$machine" -nographic -monitor none -serial pty \
    -icount shift=$shift \
    -kernel "$elf" \
    -device loader,addr=0x20000000,data=$(printf '0xBBCF%04X' "$shift"),data-len=4
if [ -n "$replay" ]; then
    set -- "$@" -device loader,file="$replay",addr=$replay_addr,force-raw=on
fi
# setpriv --pdeathsig: QEMU dies with whatever launched this script (no orphaned guests).
if command -v setpriv >/dev/null 2>&1; then
    exec setpriv --pdeathsig KILL qemu-system-arm "$@"
fi
exec qemu-system-arm "$@"
