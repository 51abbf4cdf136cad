/**
 * A function of Deno's internal `core` object (`Deno[Deno.internal].core`), for the HTTP/1.1
 * engines' hot paths that bypass a public API's wrapper (socket ops, the decode op). Each caller
 * checks what it gets and keeps the public API as its fallback. Folder-private.
 *
 * @module
 */

/**
 * `Deno[Deno.internal].core[name]` when it is a function, else null (another Deno version).
 *
 * @param name the core function's name, e.g. `read`, `writeAll`, `decode`
 * @returns the function, or null
 * @example
 * ```ts ignore
 * const decode = coreFn("decode") as ((b: Uint8Array) => string) | null;
 * ```
 */
export function coreFn(name: string): unknown {
  try {
    const d = Deno as unknown as Record<symbol, { core?: Record<string, unknown> } | undefined> & {
      internal?: symbol;
    };
    const internal = d.internal;
    const f = internal === undefined ? undefined : d[internal]?.core?.[name];
    return typeof f === "function" ? f : null;
  } catch {
    return null;
  }
}
