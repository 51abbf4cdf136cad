/**
 * The helloworld app's outbound call, `GET http://<target>`, made the way the Go app's
 * `http.DefaultClient` makes it.
 *
 * - Through an HTTP proxy (Switchyard's or linkerd's outgoing router, e.g. `127.0.0.1:4140`), the
 *   request goes out in absolute-form: `GET http://world/ HTTP/1.1` with `Host: world`.
 * - It carries every inbound header whose name starts with `l5d-ctx` (Go's `getContext`), so
 *   deadline, dtab and trace context cross the app. `l5d-dtab` is *not* copied, as in the Go app:
 *   the router re-encodes it as `l5d-ctx-dtab`.
 * - Only status 200 is a success; anything else fails with `invalid response <status>`.
 *
 * Every call uses an explicit `Deno.HttpClient`, so Deno's own `HTTP_PROXY` handling never
 * applies: {@linkcode proxyFromEnv} resolves the proxy with Go's `ProxyFromEnvironment` rules
 * instead. Without a proxy the client connects straight to the target over the `tcp` transport.
 *
 * @example
 * ```ts
 * import { proxyFromEnv } from "./target_client.ts";
 * const env = (name: string) => ({ http_proxy: "127.0.0.1:4140" } as Record<string, string>)[name];
 * console.assert(proxyFromEnv("world", env) === "127.0.0.1:4140");
 * ```
 * @module
 */

/** Reads one environment variable (`Deno.env.get`, or a record in tests). */
export type EnvLookup = (name: string) => string | undefined;

/** A reusable caller of one target. */
export interface TargetClient {
  /** The URL fetched: `http://<target>`. */
  readonly url: string;
  /**
   * Fetches the target with the inbound `l5d-ctx*` headers.
   *
   * @returns the response body of a 200
   * @throws {Error} with the Go app's message on a transport error or a non-200 status
   */
  call(inbound: Headers, signal: AbortSignal): Promise<string>;
  /** Releases the pooled connections. */
  close(): void;
}

/** Inbound headers with this (lower-case) prefix ride along on the outbound call. */
const CTX_PREFIX = "l5d-ctx";

/**
 * Creates the client for `http://<target>`, through `proxy` when given.
 *
 * @param target `host` or `host:port` (default port 80), as in `-target=world`
 * @param proxy `host:port` or `http://host:port`; omit to connect straight to the target
 * @returns the client; call `close()` when done
 * @throws {TypeError} when the target is not a valid host
 * @example
 * ```ts
 * import { createTargetClient } from "./target_client.ts";
 * const client = createTargetClient("world", "127.0.0.1:4140");
 * console.assert(client.url === "http://world");
 * client.close();
 * ```
 */
export function createTargetClient(target: string, proxy?: string): TargetClient {
  const url = `http://${target}`;
  const { hostname, port } = targetAddress(target);
  const http = Deno.createHttpClient({
    proxy: proxy === undefined
      ? { transport: "tcp", hostname: hostname.replace(/^\[|\]$/g, ""), port: Number(port) }
      : { url: proxyUrl(proxy) },
  });
  return {
    url,
    call: (inbound, signal) => callTarget(http, url, contextHeaders(inbound), signal),
    close: () => http.close(),
  };
}

async function callTarget(
  client: Deno.HttpClient,
  url: string,
  headers: Headers,
  signal: AbortSignal,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { client, headers, signal });
  } catch (e: unknown) {
    throw new Error(`Get "${url}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`invalid response ${res.status}`);
  }
  return await res.text();
}

/**
 * Copies the inbound `l5d-ctx*` headers (the Go app's `getContext` / `withContext`).
 *
 * @param inbound the request headers the app received
 * @returns a new `Headers` holding only the context headers
 * @example
 * ```ts
 * import { contextHeaders } from "./target_client.ts";
 * const h = contextHeaders(new Headers({ "l5d-ctx-trace": "x", "l5d-dtab": "/a=>/b" }));
 * console.assert([...h.keys()].join() === "l5d-ctx-trace");
 * ```
 */
export function contextHeaders(inbound: Headers): Headers {
  const out = new Headers();
  for (const [name, value] of inbound) {
    if (name.startsWith(CTX_PREFIX)) out.set(name, value);
  }
  return out;
}

/**
 * Normalises an `http_proxy` value: `host:port` becomes `http://host:port` (Go does the same).
 *
 * @param value the proxy setting
 * @returns a proxy URL
 * @example
 * ```ts
 * import { proxyUrl } from "./target_client.ts";
 * console.assert(proxyUrl("127.0.0.1:4140") === "http://127.0.0.1:4140");
 * ```
 */
export function proxyUrl(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/**
 * Picks the proxy for `http://<target>` from the environment, as Go's `ProxyFromEnvironment`:
 * `HTTP_PROXY`, else `http_proxy`; never for `localhost` or a loopback IP; not for hosts matched
 * by `NO_PROXY` / `no_proxy` (`*`, `host`, `.domain`, `*.domain`, optional `:port`).
 *
 * @param target the `-target` value
 * @param env how to read the environment
 * @returns the proxy setting, or `undefined` to connect directly
 * @throws {TypeError} when the target is not a valid host
 * @example
 * ```ts
 * import { proxyFromEnv } from "./target_client.ts";
 * const env = (name: string) => (name === "HTTP_PROXY" ? "l5d:4140" : undefined);
 * console.assert(proxyFromEnv("localhost:7778", env) === undefined);
 * ```
 */
export function proxyFromEnv(target: string, env: EnvLookup): string | undefined {
  const proxy = env("HTTP_PROXY") || env("http_proxy");
  if (!proxy) return undefined;
  const { hostname, port } = targetAddress(target);
  if (isLoopback(hostname)) return undefined;
  const noProxy = env("NO_PROXY") || env("no_proxy") || "";
  return noProxyMatches(noProxy, hostname, port) ? undefined : proxy;
}

function targetAddress(target: string): { hostname: string; port: string } {
  const url = new URL(`http://${target}`);
  return { hostname: url.hostname.toLowerCase(), port: url.port || "80" };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function noProxyMatches(noProxy: string, hostname: string, port: string): boolean {
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "*") return true;
    if (entry === "") continue;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    const host = (m?.[1] ?? entry).replace(/^\*\./, ".");
    if (m?.[2] !== undefined && m[2] !== port) continue;
    if (host.startsWith(".") ? hostname.endsWith(host) : hostMatches(hostname, host)) return true;
  }
  return false;
}

function hostMatches(hostname: string, entry: string): boolean {
  return hostname === entry || hostname.endsWith(`.${entry}`);
}
