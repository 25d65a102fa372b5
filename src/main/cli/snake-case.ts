/** `p50Ms` → `p50_ms`, `firmwareVersion` → `firmware_version`. */
export function snakeCaseOf(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * A copy of `value` where every camelCase field also appears under its snake_case name, as every
 * other command's JSON is written (`p50Ms` and `p50_ms`). The camelCase names stay: scripts use them.
 */
export function withSnakeCase<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withSnakeCase(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const copy = withSnakeCase(v);
    out[k] = copy;
    const snake = snakeCaseOf(k);
    if (snake !== k && !(snake in (value as Record<string, unknown>))) out[snake] = copy;
  }
  return out as T;
}
