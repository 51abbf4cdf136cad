/**
 * `node:http2` (and `node:net`, for the plaintext front), loaded only when a config has an h2
 * router: the module costs ~10 MB of RSS
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
import type * as Net from "node:net";

/** The `node:http2` module. */
export type Http2Module = typeof Http2;
/** The `node:net` module (the plaintext h2 front, `h2c_front.ts`). */
export type NetModule = typeof Net;

let loaded: Http2Module | undefined;
let net: NetModule | undefined;
let loading: Promise<Http2Module> | undefined;

/** Load `node:http2` and `node:net` (once). */
export function loadHttp2(): Promise<Http2Module> {
  if (loaded) return Promise.resolve(loaded);
  return (loading ??= Promise.all([import("node:http2"), import("node:net")]).then(([m, n]) => {
    net = ((n as { default?: NetModule }).default ?? n) as NetModule;
    loaded = ((m as { default?: Http2Module }).default ?? m) as Http2Module;
    return loaded;
  }));
}

/**
 * The loaded `node:net`.
 *
 * @throws Error when {@link loadHttp2} has not finished yet
 */
export function netModule(): NetModule {
  if (!net) throw new Error("node:net is not loaded yet (await loadHttp2() first)");
  return net;
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
