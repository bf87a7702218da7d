/**
 * Picks the candidate closest to `input` for "did you mean" hints: an exact match after lowercasing and
 * dropping `_`/`-` wins (`maxSteps` → `max_steps`), otherwise the smallest Levenshtein distance within
 * max(2, a third of the input's length). Returns `undefined` when nothing is close enough.
 */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const normalized = normalize(input);
  const same = candidates.find((candidate) => normalize(candidate) === normalized);
  if (same !== undefined) return same;
  const limit = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(normalized, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/[_-]/g, "");
}

/** Edit distance (insertions, deletions, substitutions) between two strings; inputs are capped at 200 chars. */
export function levenshtein(a: string, b: string): number {
  const left = a.slice(0, 200);
  const right = b.slice(0, 200);
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= right.length; j += 1) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}
