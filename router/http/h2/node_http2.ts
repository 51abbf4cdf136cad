/**
 * `node:http2`, loaded only when a config has an h2 router: the module costs ~10 MB of RSS
 * (issue 6's idle goal), which an http-only process should not pay. The linker awaits
 * {@link loadHttp2} before it builds h2 routers; the h2 server and client then take the module
 * synchronously from {@link http2Module}.
 *
 * @example
 * ```ts
 * import { http2Module, loadHttp2 } from "./node_http2.ts";
 * await loadHttp2();
 * console.log(typeof http2Module().connect); // "function"
 * ```
 *
 * @module
 */
import type * as Http2 from "node:http2";

/** The `node:http2` module. */
export type Http2Module = typeof Http2;

let loaded: Http2Module | undefined;
let loading: Promise<Http2Module> | undefined;

/** Load `node:http2` (once). */
export function loadHttp2(): Promise<Http2Module> {
  if (loaded) return Promise.resolve(loaded);
  return (loading ??= import("node:http2").then((m) => {
    loaded = ((m as { default?: Http2Module }).default ?? m) as Http2Module;
    return loaded;
  }));
}

/**
 * The loaded module.
 *
 * @throws Error when {@link loadHttp2} has not finished yet
 */
export function http2Module(): Http2Module {
  if (!loaded) throw new Error("node:http2 is not loaded yet (await loadHttp2() first)");
  return loaded;
}
