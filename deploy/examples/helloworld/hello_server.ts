/**
 * The helloworld HTTP server of linkerd-examples (`docker/helloworld/http/http.go`), in-process.
 *
 * Routes (any other path is the hello request, as in Go):
 * - `/` → sleep `latency`; with probability `failureRate` answer 500 (body `\n`); else build
 *   `<text> (<podIp>)`, append ` <target body>` when there is a target, and answer
 *   `<result>!` (plain text) or `{"api_result":"<result>"}` (`json`). A failed target call is a
 *   503 whose body is the error text plus `\n` (Go's `http.Error`).
 * - `POST /setLatency?latency=100ms`, `POST /setFailureRate?failureRate=0.5` → 200 `ok`; 405
 *   `POST required`, 400 on a missing or bad value. They change this server only.
 * - `GET /health` → `ok` (an addition; the Go app has no health route).
 *
 * @example
 * ```ts
 * import { startHelloWorld } from "./hello_server.ts";
 * const world = startHelloWorld({ text: "world" });
 * const res = await fetch(`http://127.0.0.1:${world.port}/`);
 * console.assert((await res.text()) === "world (127.0.0.1)!");
 * await world.close();
 * ```
 * @module
 */

import { parseGoAddr, parseGoDuration, parseGoFloat } from "./go_flags.ts";
import { createTargetClient, type TargetClient } from "./target_client.ts";

/** What one hello or world app serves and calls. */
export interface HelloWorldOptions {
  /** Go-style listen address (`:7777`, `127.0.0.1:0`); wins over `hostname`/`port`. */
  addr?: string;
  /** Listen hostname when `addr` is absent. Default `127.0.0.1`. */
  hostname?: string;
  /** Listen port when `addr` is absent. Default 0 (any free port). */
  port?: number;
  /** The text served (`-text`, or `TARGET_WORLD` in the program). */
  text: string;
  /** The service called before answering (`-target`), `host[:port]`; none when absent/empty. */
  target?: string;
  /** HTTP proxy for the target call, `host:port` or `http://host:port`; direct when absent. */
  proxy?: string;
  /** Shown as ` (<podIp>)` after the text. Default `127.0.0.1`; `""` omits it, as Go does. */
  podIp?: string;
  /** Initial `-latency` in ms. Default 0. */
  latencyMs?: number;
  /** Initial `-failure-rate`, 0–1. Default 0. */
  failureRate?: number;
  /** Answer `{"api_result": …}` instead of plain text. Default false. */
  json?: boolean;
  /** Aborting it closes the server, like `close()`. */
  signal?: AbortSignal;
  /** Uniform [0, 1) source for the failure draw. Default `Math.random`. */
  random?: () => number;
  /** Receives the Go app's log lines (`set latency to …`). Default: dropped. */
  log?: (line: string) => void;
}

/** A running hello/world app. */
export interface HelloWorldServer {
  /** The bound hostname. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /** Stops listening, cancels sleeps and target calls, waits for in-flight requests. */
  close(): Promise<void>;
}

/** The per-server state the handlers share; the knobs mutate `latencyMs`/`failureRate`. */
interface App {
  readonly text: string;
  readonly podIp: string;
  readonly json: boolean;
  readonly client: TargetClient | undefined;
  readonly stop: AbortSignal;
  readonly random: () => number;
  readonly log: (line: string) => void;
  latencyMs: number;
  failureRate: number;
}

/**
 * Starts a hello/world app on `Deno.serve`, quietly (no listen banner).
 *
 * @param opts what to serve and where; see {@linkcode HelloWorldOptions}
 * @returns the bound address and `close()`
 * @throws {SyntaxError} when `addr` is not a Go listen address
 * @throws {TypeError} when `target` is not a valid host
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @example
 * ```ts
 * import { startHelloWorld } from "./hello_server.ts";
 * const hello = startHelloWorld({ text: "Hello", target: "world", proxy: "127.0.0.1:4140" });
 * await hello.close();
 * ```
 */
export function startHelloWorld(opts: HelloWorldOptions): HelloWorldServer {
  const listen = opts.addr === undefined
    ? { hostname: opts.hostname ?? "127.0.0.1", port: opts.port ?? 0 }
    : parseGoAddr(opts.addr);
  const client = opts.target ? createTargetClient(opts.target, opts.proxy) : undefined;
  const stop = new AbortController();
  const app = newApp(opts, client, stop.signal);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ ...listen, onListen: () => {} }, helloWorldHandler(app));
  } catch (e: unknown) {
    client?.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= shutdown(
      server,
      stop,
      client,
      () => opts.signal?.removeEventListener("abort", close),
    );
    return closing;
  };
  if (opts.signal?.aborted) void close();
  else opts.signal?.addEventListener("abort", close, { once: true });
  return {
    hostname: server.addr.hostname,
    port: server.addr.port,
    finished: server.finished,
    close,
  };
}

function newApp(opts: HelloWorldOptions, client: TargetClient | undefined, stop: AbortSignal): App {
  return {
    text: opts.text,
    podIp: opts.podIp ?? "127.0.0.1",
    json: opts.json ?? false,
    client,
    stop,
    random: opts.random ?? Math.random,
    log: opts.log ?? (() => {}),
    latencyMs: opts.latencyMs ?? 0,
    failureRate: opts.failureRate ?? 0,
  };
}

async function shutdown(
  server: Deno.HttpServer,
  stop: AbortController,
  client: TargetClient | undefined,
  unlink: () => void,
): Promise<void> {
  unlink();
  stop.abort();
  await server.shutdown();
  client?.close();
}

function helloWorldHandler(app: App): (req: Request) => Response | Promise<Response> {
  return function helloWorld(req) {
    const url = new URL(req.url);
    switch (url.pathname) {
      case "/setLatency":
        return setLatency(req, url, app);
      case "/setFailureRate":
        return setFailureRate(req, url, app);
      case "/health":
        return plain("ok");
      default:
        return hello(req, app);
    }
  };
}

/** The Go app's `handleRequest`. */
async function hello(req: Request, app: App): Promise<Response> {
  const signal = AbortSignal.any([req.signal, app.stop]);
  await sleep(app.latencyMs, signal);
  if (app.random() < app.failureRate) return goError("", 500);
  let text = app.podIp === "" ? app.text : `${app.text} (${app.podIp})`;
  if (app.client !== undefined) {
    try {
      text += ` ${await app.client.call(req.headers, signal)}`;
    } catch (e: unknown) {
      return goError(e instanceof Error ? e.message : String(e), 503);
    }
  }
  if (!app.json) return plain(`${text}!`);
  return new Response(goJson({ api_result: text }), {
    headers: { "content-type": "application/json" },
  });
}

function setLatency(req: Request, url: URL, app: App): Response {
  if (req.method !== "POST") return goError("POST required", 405);
  const param = url.searchParams.get("latency") ?? "";
  if (param === "") return goError("missing required parameter: latency", 400);
  let latencyMs: number;
  try {
    latencyMs = parseGoDuration(param);
  } catch {
    return goError("latency is not a valid duration", 400);
  }
  app.latencyMs = latencyMs;
  app.log(`set latency to ${param}`);
  return plain("ok");
}

function setFailureRate(req: Request, url: URL, app: App): Response {
  if (req.method !== "POST") return goError("POST required", 405);
  const param = url.searchParams.get("failureRate") ?? "";
  if (param === "") return goError("missing required parameter: failureRate", 400);
  let rate: number;
  try {
    rate = parseGoFloat(param);
  } catch {
    return goError("failureRate is not a valid float", 400);
  }
  if (rate < 0 || rate > 1) return goError("failureRate must be between 0.0 and 1.0", 400);
  app.failureRate = rate;
  app.log(`set failure rate to ${rate}`);
  return plain("ok");
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects, leaves no timer. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const TEXT_PLAIN = "text/plain; charset=utf-8";

function plain(body: string): Response {
  return new Response(body, { headers: { "content-type": TEXT_PLAIN } });
}

/** Go's `http.Error`: the message plus a newline, `nosniff`. */
function goError(message: string, status: number): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": TEXT_PLAIN, "x-content-type-options": "nosniff" },
  });
}

/** `JSON.stringify` with Go `encoding/json`'s HTML-safe escapes (`<`, `>`, `&`, U+2028/9). */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
