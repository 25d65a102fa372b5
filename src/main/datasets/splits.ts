/**
 * Train/val/test assignment by group (subject, session or segment), so no recording — and, when
 * splitting by subject, no person — ends up in two splits. Deterministic for a given seed.
 */

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** mulberry32: a small, well-mixed 32-bit PRNG; we only need reproducible shuffles. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export interface GroupSplitOptions {
  valFraction: number;
  testFraction: number;
  seed: number;
  /** Groups forced into the test split (UCI-HAR's test subjects); the fraction then applies to val only. */
  testGroups?: ReadonlySet<string>;
}

/**
 * Assigns each group to a split. Groups are first sorted (so the result does not depend on the
 * order they were seen in), then shuffled with the seed. When every group holds a single class
 * (one gesture per recording) the shuffle is done per class — stratified — so each split gets
 * every class that has at least three groups; otherwise groups are split as a whole.
 * `groupClass` maps a group to its class when it has exactly one.
 */
export function assignGroups(
  groups: readonly string[],
  opts: GroupSplitOptions,
  groupClass?: ReadonlyMap<string, number>,
): Map<string, SplitName> {
  const rand = seededRandom(opts.seed);
  const out = new Map<string, SplitName>();
  const unique = [...new Set(groups)].sort();
  const free: string[] = [];
  for (const g of unique) {
    if (opts.testGroups?.has(g)) out.set(g, 'test');
    else free.push(g);
  }
  const forcedTest = opts.testGroups !== undefined;
  const strata = new Map<number, string[]>();
  const stratified = groupClass !== undefined && free.every((g) => groupClass.has(g));
  if (stratified) {
    for (const g of free) {
      const c = groupClass.get(g)!;
      if (!strata.has(c)) strata.set(c, []);
      strata.get(c)!.push(g);
    }
  } else {
    strata.set(-1, free);
  }
  for (const key of [...strata.keys()].sort((a, b) => a - b)) {
    const list = shuffle(strata.get(key)!, rand);
    const n = list.length;
    let nTest = forcedTest ? 0 : Math.round(n * opts.testFraction);
    let nVal = Math.round(n * opts.valFraction);
    // Keep at least one group per requested split when there are enough groups, and train non-empty.
    if (!forcedTest && opts.testFraction > 0 && nTest === 0 && n >= 3) nTest = 1;
    if (opts.valFraction > 0 && nVal === 0 && n >= (forcedTest ? 2 : 3)) nVal = 1;
    while (nTest + nVal >= n && n > 0) {
      if (nVal > 0) nVal--;
      else nTest--;
    }
    list.forEach((g, i) => out.set(g, i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train'));
  }
  return out;
}
