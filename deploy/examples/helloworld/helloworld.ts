/**
 * The `hello` and `world` sample apps of linkerd-examples (`buoyantio/helloworld`), for Deno.
 *
 * Run one on its own, as the Go binary runs:
 * ```sh
 * npx deno run -A deploy/examples/helloworld/helloworld.ts -addr=127.0.0.1:7778 -text=world
 * http_proxy=127.0.0.1:4140 npx deno run -A deploy/examples/helloworld/helloworld.ts \
 *   -addr=127.0.0.1:7777 -text=Hello -target=world
 * ```
 * or import it (Switchyard's demo mode starts both in-process with {@linkcode startHelloWorld}).
 *
 * The program reads the Go app's environment: `TARGET_WORLD` (replaces `-text`), `POD_IP` (shown
 * after the text; `127.0.0.1` when unset), `HTTP_PROXY` / `http_proxy` and `NO_PROXY` (the target
 * call goes through the proxy in absolute-form, never for localhost). The library functions read
 * no environment: pass `proxy`/`podIp` explicitly, or build the options with
 * {@linkcode helloWorldOptionsFromEnv}.
 *
 * @example
 * ```ts
 * import { helloWorldOptionsFromEnv, parseHelloWorldArgs } from "./helloworld.ts";
 * const env = (name: string) => (name === "http_proxy" ? "127.0.0.1:4140" : undefined);
 * const opts = helloWorldOptionsFromEnv(parseHelloWorldArgs(["-target=world"]), env);
 * console.assert(opts.proxy === "127.0.0.1:4140" && opts.text === "Hello");
 * ```
 * @module
 */

import {
  FlagError,
  HELLO_WORLD_USAGE,
  type HelloWorldArgs,
  parseHelloWorldArgs,
} from "./go_flags.ts";
import { type HelloWorldOptions, startHelloWorld } from "./hello_server.ts";
import { type EnvLookup, proxyFromEnv } from "./target_client.ts";

export {
  FlagError,
  HELLO_WORLD_USAGE,
  type HelloWorldArgs,
  parseGoAddr,
  parseGoDuration,
  parseGoFloat,
  parseHelloWorldArgs,
} from "./go_flags.ts";
export { type HelloWorldOptions, type HelloWorldServer, startHelloWorld } from "./hello_server.ts";
export { contextHeaders, type EnvLookup, proxyFromEnv, proxyUrl } from "./target_client.ts";

/**
 * Turns parsed flags plus the environment into server options, as the Go `main` does:
 * `TARGET_WORLD` overrides the text, `POD_IP` is the shown IP (default `127.0.0.1`), and the
 * target call takes the proxy {@linkcode proxyFromEnv} picks.
 *
 * @param args the parsed flags
 * @param env how to read the environment, e.g. `(n) => Deno.env.get(n)`
 * @returns options for {@linkcode startHelloWorld}
 * @throws {TypeError} when `-target` is not a valid host
 * @example
 * ```ts
 * import { helloWorldOptionsFromEnv, parseHelloWorldArgs } from "./helloworld.ts";
 * const env = (name: string) => (name === "TARGET_WORLD" ? "world" : undefined);
 * console.assert(helloWorldOptionsFromEnv(parseHelloWorldArgs([]), env).text === "world");
 * ```
 */
export function helloWorldOptionsFromEnv(args: HelloWorldArgs, env: EnvLookup): HelloWorldOptions {
  const proxy = args.target === "" ? undefined : proxyFromEnv(args.target, env);
  return {
    addr: args.addr,
    text: env("TARGET_WORLD") || args.text,
    podIp: env("POD_IP") || "127.0.0.1",
    latencyMs: args.latencyMs,
    failureRate: args.failureRate,
    json: args.json,
    ...(args.target === "" ? {} : { target: args.target }),
    ...(proxy === undefined ? {} : { proxy }),
  };
}

/** Where the program reads its environment and writes its lines. */
export interface MainIo {
  /** Environment lookup. */
  readonly env: EnvLookup;
  /** Standard output, one line per call. */
  readonly out: (line: string) => void;
  /** Standard error, one line per call. */
  readonly err: (line: string) => void;
}

/**
 * The helloworld program: parses flags, prints `starting HTTP server on <addr>`, serves until
 * SIGINT/SIGTERM.
 *
 * @param argv the arguments after the program name
 * @param io environment and output; defaults to the process's
 * @returns the exit code: 0 after a clean stop or `-help`, 2 on bad flags, 1 on other errors
 * @example
 * ```ts
 * import { main } from "./helloworld.ts";
 * const lines: string[] = [];
 * const io = { env: () => undefined, out: () => {}, err: (l: string) => void lines.push(l) };
 * console.assert((await main(["-nope"], io)) === 2);
 * ```
 */
export async function main(argv: readonly string[], io: MainIo = processIo()): Promise<number> {
  let args: HelloWorldArgs;
  try {
    args = parseHelloWorldArgs(argv);
  } catch (e: unknown) {
    if (!(e instanceof FlagError)) throw e;
    io.err(e.message);
    io.err(HELLO_WORLD_USAGE);
    return 2;
  }
  if (args.help) {
    io.err(HELLO_WORLD_USAGE);
    return 0;
  }
  if (args.protocol !== "http") {
    io.err(`unsupported protocol: ${args.protocol}`);
    return 1;
  }
  try {
    const server = startHelloWorld({ ...helloWorldOptionsFromEnv(args, io.env), log: io.out });
    io.out(`starting HTTP server on ${boundAddr(args.addr, server.port)}`);
    await untilSignal(server.close);
    await server.finished;
    return 0;
  } catch (e: unknown) {
    io.err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}

/** The `-addr` text with the bound port (`:7777`, or `127.0.0.1:41234` for port 0). */
function boundAddr(addr: string, port: number): string {
  return `${addr.slice(0, addr.lastIndexOf(":") + 1)}${port}`;
}

/** Runs `stop` on the first SIGINT or SIGTERM, then removes the listeners. */
async function untilSignal(stop: () => Promise<void>): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, resolve);
  await promise;
  for (const s of signals) Deno.removeSignalListener(s, resolve);
  await stop();
}

function processIo(): MainIo {
  const encoder = new TextEncoder();
  return {
    env: (name) => Deno.env.get(name),
    out: (line) => void Deno.stdout.writeSync(encoder.encode(`${line}\n`)),
    err: (line) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`)),
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
