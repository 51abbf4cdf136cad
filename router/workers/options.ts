/**
 * The `--workers N|auto` option.
 *
 * @module
 */

/** The largest `--workers` count. */
export const MAX_WORKERS = 1024;

/**
 * Parses `--workers`: a positive integer up to {@link MAX_WORKERS}, or `auto` for
 * `navigator.hardwareConcurrency`.
 *
 * @param text The option's value.
 * @returns The number of workers.
 * @throws {RangeError} On anything else.
 */
export function parseWorkers(text: string): number {
  if (text === "auto") return Math.max(1, navigator.hardwareConcurrency || 1);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`--workers must be a positive integer or auto, not ${text}`);
  }
  if (n > MAX_WORKERS) {
    throw new RangeError(`--workers must be at most ${MAX_WORKERS}, not ${text}`);
  }
  return n;
}
