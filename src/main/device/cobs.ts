// Consistent Overhead Byte Stuffing: removes every zero byte so that 0x00 can delimit frames.

/** Worst-case encoded size of `n` bytes (without the trailing delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.ceil(n / 254) + 1;
}

export function cobsEncode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(src.length));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one frame body (no delimiter). Returns undefined when the input is not valid COBS. */
export function cobsDecode(src: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(src.length);
  let o = 0;
  let i = 0;
  while (i < src.length) {
    const code = src[i]!;
    if (code === 0) return undefined;
    const end = i + code;
    if (end > src.length) return undefined;
    for (let j = i + 1; j < end; j++) {
      const b = src[j]!;
      if (b === 0) return undefined;
      out[o++] = b;
    }
    i = end;
    // A block shorter than 0xFF ends with an implied zero, except at the very end of the frame.
    if (code !== 0xff && i < src.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
