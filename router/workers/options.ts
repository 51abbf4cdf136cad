/**
 * The `--workers N|auto` option.
 *
 * @module
 */

/**
 * Parses `--workers`: a positive integer, or `auto` for `navigator.hardwareConcurrency`.
 *
 * @param text The option's value.
 * @returns The number of workers.
 * @throws {RangeError} On anything else.
 */
export function parseWorkers(text: string): number {
  if (text === "auto") return Math.max(1, navigator.hardwareConcurrency || 1);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`--workers must be a positive integer or auto, not ${text}`);
  }
  return n;
}
