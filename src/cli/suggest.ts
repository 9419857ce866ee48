/**
 * "did you mean …?" for a mistyped verb or flag: the known word nearest to what was typed,
 * by edit distance with swaps of neighbours counted as one edit (optimal string alignment),
 * so `dleete` and `--netwrok` find their words as `git` and `docker` find theirs.
 */

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `typed`, or undefined when none is near enough to be a typo:
 * at most a third of the word's letters may differ (one for short words). First, though, the
 * one candidate the typed text begins (`--publish-a` for `--publish-all`), if only one does.
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const letters = word.replace(/^-+/, '').length;
  // One letter is a typo of every other letter: nothing to suggest (`kill ID -9`).
  if (letters < 2) return undefined;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance > 0 && bestDistance <= Math.max(1, Math.floor(letters / 3)) ? best : undefined;
}

/** " (did you mean --force?)", or nothing when no candidate is near. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const suggestion = nearest(typed, candidates);
  return suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
}
