/**
 * Digital Butterworth low-pass filters designed with the bilinear transform, run as second-order
 * sections (a cascade of biquads keeps a 0.3 Hz filter at 50 Hz numerically sound, where one
 * high-order polynomial would not), plus the zero-phase forward-backward pass and a median filter.
 *
 * Design (docs/datasets.md has the derivation):
 *   analog prototype poles  p_k = Ωc · exp(jπ(2k + n − 1) / 2n),  k = 1..n   (left half-plane)
 *   pre-warped cut-off      Ωc  = 2·fs·tan(π·fc / fs)   so the digital −3 dB point is exactly fc
 *   bilinear transform      z   = (2·fs + s) / (2·fs − s)  maps each pole; all n zeros go to z = −1
 *   gain                    |H(z = 1)| = 1 (unity at DC), spread over the sections.
 * Resulting magnitude: |H(e^{jω})|² = 1 / (1 + (tan(ω/2) / tan(ωc/2))^{2n}), see `butterworthMagnitude`.
 */

/** One biquad: y = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²) · x. First-order sections have b2 = a2 = 0. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

export function butterworthLowpass(order: number, cutoffHz: number, sampleRateHz: number): Biquad[] {
  if (!Number.isInteger(order) || order < 1)
    throw new Error(`Butterworth order must be a positive integer, got ${order}.`);
  if (!(cutoffHz > 0 && cutoffHz < sampleRateHz / 2)) {
    throw new Error(
      `Cut-off ${cutoffHz} Hz must be between 0 and the Nyquist frequency ${sampleRateHz / 2} Hz.`,
    );
  }
  const k = 2 * sampleRateHz;
  const wc = k * Math.tan((Math.PI * cutoffHz) / sampleRateHz);
  const sections: Biquad[] = [];
  // Poles come in conjugate pairs; k = 1..floor(n/2) gives one of each pair, odd n adds the real pole −Ωc.
  for (let i = 1; i <= Math.floor(order / 2); i++) {
    const theta = (Math.PI * (2 * i + order - 1)) / (2 * order);
    const re = wc * Math.cos(theta);
    const im = wc * Math.sin(theta);
    // z = (k + p) / (k − p) for p = re + j·im; the pair gives denominator 1 − 2Re(z)z⁻¹ + |z|²z⁻².
    const dRe = k - re;
    const dIm = -im;
    const nRe = k + re;
    const nIm = im;
    const den = dRe * dRe + dIm * dIm;
    const zRe = (nRe * dRe + nIm * dIm) / den;
    const zIm = (nIm * dRe - nRe * dIm) / den;
    const a1 = -2 * zRe;
    const a2 = zRe * zRe + zIm * zIm;
    // Numerator (1 + z⁻¹)², scaled for unity gain at z = 1: g·4 = 1 + a1 + a2.
    const g = (1 + a1 + a2) / 4;
    sections.push({ b0: g, b1: 2 * g, b2: g, a1, a2 });
  }
  if (order % 2 === 1) {
    const z = (k - wc) / (k + wc);
    const a1 = -z;
    const g = (1 + a1) / 2;
    sections.push({ b0: g, b1: g, b2: 0, a1, a2: 0 });
  }
  return sections;
}

/** The analytic magnitude of the bilinear-transform Butterworth low-pass at frequency f. */
export function butterworthMagnitude(
  order: number,
  cutoffHz: number,
  sampleRateHz: number,
  f: number,
): number {
  const r = Math.tan((Math.PI * f) / sampleRateHz) / Math.tan((Math.PI * cutoffHz) / sampleRateHz);
  return 1 / Math.sqrt(1 + Math.pow(r, 2 * order));
}

/** |H(e^{j2πf/fs})| of a cascade of sections, evaluated from the coefficients. */
export function sosMagnitude(sections: readonly Biquad[], sampleRateHz: number, f: number): number {
  const w = (2 * Math.PI * f) / sampleRateHz;
  const c1 = Math.cos(w);
  const s1 = Math.sin(w);
  const c2 = Math.cos(2 * w);
  const s2 = Math.sin(2 * w);
  let mag = 1;
  for (const q of sections) {
    const nr = q.b0 + q.b1 * c1 + q.b2 * c2;
    const ni = -(q.b1 * s1 + q.b2 * s2);
    const dr = 1 + q.a1 * c1 + q.a2 * c2;
    const di = -(q.a1 * s1 + q.a2 * s2);
    mag *= Math.hypot(nr, ni) / Math.hypot(dr, di);
  }
  return mag;
}

/**
 * Runs the cascade over `x` in place (transposed direct form II). With `steadyFrom` the state
 * starts as if the input had been that constant forever, which removes the start-up transient.
 */
export function sosFilterInPlace(sections: readonly Biquad[], x: Float64Array, steadyFrom?: number): void {
  let level = steadyFrom ?? 0;
  for (const q of sections) {
    let z1 = 0;
    let z2 = 0;
    if (steadyFrom !== undefined) {
      const gain = (q.b0 + q.b1 + q.b2) / (1 + q.a1 + q.a2);
      const y = gain * level;
      z2 = q.b2 * level - q.a2 * y;
      z1 = y - q.b0 * level;
      level = y;
    }
    const { b0, b1, b2, a1, a2 } = q;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      const yi = b0 * xi + z1;
      z1 = b1 * xi - a1 * yi + z2;
      z2 = b2 * xi - a2 * yi;
      x[i] = yi;
    }
  }
}

/**
 * Zero-phase filtering: forward, then backward over the reversed result, so the phase shifts
 * cancel and the magnitude response is squared. Edges are padded with a mirror (even) reflection
 * and the state starts at steady state. Even rather than odd reflection: an odd reflection pivots
 * on the single edge sample, so a 0.3 Hz gravity estimate would drift to whatever the last
 * (noisy, oscillating) sample was; the mirror keeps the local mean.
 */
export function filtfilt(
  sections: readonly Biquad[],
  x: ArrayLike<number>,
  padLength?: number,
): Float64Array {
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.min(n - 1, padLength ?? 3 * (2 * sections.length + 1));
  const len = n + 2 * pad;
  const buf = new Float64Array(len);
  for (let i = 0; i < pad; i++) buf[i] = x[pad - i]!;
  for (let i = 0; i < n; i++) buf[pad + i] = x[i]!;
  for (let i = 0; i < pad; i++) buf[pad + n + i] = x[n - 2 - i]!;
  sosFilterInPlace(sections, buf, buf[0]);
  buf.reverse();
  sosFilterInPlace(sections, buf, buf[0]);
  buf.reverse();
  return buf.subarray(pad, pad + n);
}

/** Median of each sample and its neighbours (window 3); the two end samples are kept as they are. */
export function median3(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  out[0] = x[0]!;
  out[n - 1] = x[n - 1]!;
  for (let i = 1; i < n - 1; i++) {
    const a = x[i - 1]!;
    const b = x[i]!;
    const c = x[i + 1]!;
    out[i] = a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
  }
  return out;
}
