/**
 * Summary statistics for the benchmark: nearest-rank percentiles over a list of samples.
 */

/**
 * @typedef {object} Summary
 * @property {number} count number of samples
 * @property {number} min
 * @property {number} p50 median (nearest rank)
 * @property {number} p90
 * @property {number} p99
 * @property {number} max
 * @property {number} mean arithmetic mean
 */

/**
 * The nearest-rank percentile of sorted samples: the smallest sample such that at least `percent`% of
 * the samples are at or below it.
 * @param {readonly number[]} sorted samples in ascending order, at least one
 * @param {number} percent 0-100
 * @returns {number}
 * @throws {Error} when there are no samples
 */
export function percentile(sorted, percent) {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return /** @type {number} */ (sorted[Math.min(rank, sorted.length) - 1]);
}

/**
 * Summarises samples (any unit; the caller knows it).
 * @param {readonly number[]} samples at least one
 * @returns {Summary}
 */
export function summarize(samples) {
  const sorted = [...samples].sort((left, right) => left - right);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    min: percentile(sorted, 0),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: /** @type {number} */ (sorted.at(-1)),
    mean: total / sorted.length,
  };
}

/**
 * Formats a number with a fixed number of decimals (`-` for undefined or NaN).
 * @param {number | undefined} value
 * @param {number} [decimals] @default 2
 */
export function fixed(value, decimals = 2) {
  return value === undefined || Number.isNaN(value) ? "-" : value.toFixed(decimals);
}
