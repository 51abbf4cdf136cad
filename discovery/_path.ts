/**
 * Folder-private path helpers. Showing delegates to `router/dtab/path.ts` (Finagle's exact
 * `Path.show`, so a Bound's `idStr` matches the router's); `readPath` wraps its parser to return
 * an error instead of throwing; the rest are small comparisons.
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import { parsePath } from "../router/dtab/path.ts";

export { showLabel, showPath } from "../router/dtab/path.ts";

/** Parse `/a/b` (with `\xHH` escapes); `/` is the empty path. Returns an error, never throws. */
export function readPath(text: string): Path | { readonly error: string } {
  try {
    return parsePath(text);
  } catch (e: unknown) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** True when `path` begins with every label of `prefix`. */
export function pathStartsWith(path: Path, prefix: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** Label-wise equality. */
export function pathEquals(a: Path, b: Path): boolean {
  return a.length === b.length && pathStartsWith(a, b);
}

/** An unambiguous Map key for a path (labels may contain any character once decoded). */
export function pathKey(path: Path): string {
  return JSON.stringify(path);
}
