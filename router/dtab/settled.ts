/**
 * A delegation tree once its namers have answered (Linkerd's `DelegateApiHandler` waits for the
 * first settled tree, at most 2 s): the admin server's `/delegator.json` recomputes a tree that
 * still waits on a namer instead of showing a "pending" exception.
 *
 * @example
 * ```ts
 * import { settledDelegation } from "./settled.ts";
 * const tree = await settledDelegation(() => ({ type: "neg", path: "/svc/x" }));
 * ```
 *
 * @module
 */

/** Whether a delegation tree still waits on a namer (a pending lookup or endpoint set). */
export function pending(node: unknown): boolean {
  if (typeof node !== "object" || node === null) return false;
  const n = node as Record<string, unknown>;
  if (n.type === "exception" && n.message === "pending") return true;
  if ((n.bound as { addr?: { type?: string } } | undefined)?.addr?.type === "pending") return true;
  for (const k of ["delegate", "alt", "union", "tree"]) {
    const c = n[k];
    if (Array.isArray(c) ? c.some(pending) : pending(c)) return true;
  }
  return false;
}

/**
 * A delegation once its namers have answered, as Linkerd's `DelegateApiHandler` waits for the
 * first settled tree: recomputed every 50 ms; still pending after 2 s → 503 (Linkerd's timeout).
 */
export async function settledDelegation<T>(compute: () => T, waitMs = 2000): Promise<T> {
  const end = Date.now() + waitMs;
  for (;;) {
    const tree = compute();
    if (!pending(tree)) return tree;
    if (Date.now() >= end) {
      throw new Error(
        `the delegation is still pending after ${waitMs} ms (a namer has not answered)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
