/**
 * Folder-private: run an async function over items with at most `limit` calls in flight. The
 * fs namer scans and reads every file of its root on start and stats them on every poll; with
 * 1000 services, 1000 concurrent `Deno.stat`/`Deno.readTextFile` calls hold 1000 sets of
 * buffers and promises at once, and what they leave behind survives into the old generation
 * (issue 6: RSS of a big root directory). A few in flight are as fast on a local disk.
 *
 * @module
 */

/** Default calls in flight. */
export const SCAN_CONCURRENCY = 4;

/**
 * Call `fn` on every item, at most `limit` at a time; resolves when all have settled, rejects
 * with the first error (after the calls in flight settle; no new ones start).
 *
 * @param items the items
 * @param fn the async function
 * @param limit calls in flight (default {@linkcode SCAN_CONCURRENCY})
 * @example
 * ```ts
 * import { eachLimited } from "./_each_limited.ts";
 * const seen: number[] = [];
 * await eachLimited([1, 2, 3], (n) => Promise.resolve(void seen.push(n)), 2);
 * ```
 */
export async function eachLimited<T>(
  items: Iterable<T>,
  fn: (item: T) => Promise<void>,
  limit = SCAN_CONCURRENCY,
): Promise<void> {
  const it = items[Symbol.iterator]();
  let failed = false;
  let error: unknown;
  async function worker(): Promise<void> {
    for (;;) {
      if (failed) return;
      const n = it.next();
      if (n.done) return;
      try {
        await fn(n.value);
      } catch (e: unknown) {
        if (!failed) error = e;
        failed = true;
      }
    }
  }
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, limit); i++) workers.push(worker());
  await Promise.all(workers);
  if (failed) throw error;
}
