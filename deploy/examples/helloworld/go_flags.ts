/**
 * Go-style command-line flags for the helloworld sample app, parsed the way Go's `flag` package
 * parses them for linkerd-examples' `docker/helloworld/main.go`: single or double dash, `-name=value`
 * or `-name value`, bare `-json` for booleans, parsing stops at `--` or the first non-flag word.
 *
 * Flags and defaults (as in the Go app): `-addr :7777`, `-text Hello`, `-target ""`,
 * `-latency 0` (Go duration), `-failure-rate 0`, `-json false`, `-protocol http`.
 *
 * @example
 * ```ts
 * import { parseHelloWorldArgs } from "./go_flags.ts";
 * const args = parseHelloWorldArgs(["-addr=:7778", "-text=world", "-latency=100ms"]);
 * console.assert(args.latencyMs === 100 && args.addr === ":7778");
 * ```
 * @module
 */

/** The parsed flags of the helloworld program. */
export interface HelloWorldArgs {
  /** `-addr`: Go listen address, `host:port` or `:port` (all interfaces). */
  addr: string;
  /** `-text`: the text to serve. */
  text: string;
  /** `-target`: the service to call before answering (`""` = none). */
  target: string;
  /** `-latency`: time to sleep before processing each request, in milliseconds. */
  latencyMs: number;
  /** `-failure-rate`: the fraction of requests answered with a 500. */
  failureRate: number;
  /** `-json`: answer `{"api_result": …}` instead of plain text. */
  json: boolean;
  /** `-protocol`: `http` (the Go app's `grpc` mode is not implemented). */
  protocol: string;
  /** `-h` / `-help` was given: print usage and exit. */
  help: boolean;
}

/** A command line the flag grammar rejects; the message matches Go's `flag` package. */
export class FlagError extends Error {
  override readonly name = "FlagError";
}

/** The `-help` text, in the shape Go's `flag.PrintDefaults` prints. */
export const HELLO_WORLD_USAGE = `Usage of helloworld:
  -addr string
      address to serve on (default ":7777")
  -failure-rate float
      rate of error responses to return
  -json
      return JSON instead of plaintext responses (HTTP only)
  -latency duration
      time to sleep before processing request
  -protocol string
      API protocol: only http is supported here (default "http")
  -target string
      target service to call before returning
  -text string
      text to serve (default "Hello")`;

type Setter = (args: HelloWorldArgs, value: string) => void;

interface FlagSpec {
  readonly bool: boolean;
  readonly set: Setter;
}

const FLAGS: ReadonlyMap<string, FlagSpec> = new Map<string, FlagSpec>([
  ["addr", { bool: false, set: (a, v) => void (a.addr = v) }],
  ["text", { bool: false, set: (a, v) => void (a.text = v) }],
  ["target", { bool: false, set: (a, v) => void (a.target = v) }],
  ["latency", { bool: false, set: (a, v) => void (a.latencyMs = parseGoDuration(v)) }],
  ["failure-rate", { bool: false, set: (a, v) => void (a.failureRate = parseGoFloat(v)) }],
  ["json", { bool: true, set: (a, v) => void (a.json = parseGoBool(v)) }],
  ["protocol", { bool: false, set: (a, v) => void (a.protocol = v) }],
]);

/**
 * Parses helloworld's command line with Go `flag` semantics.
 *
 * @param argv the arguments after the program name, e.g. `Deno.args`
 * @returns the flags, with the Go app's defaults for the ones not given
 * @throws {FlagError} on an unknown flag, a missing value or a value that does not parse
 * @example
 * ```ts
 * import { parseHelloWorldArgs } from "./go_flags.ts";
 * const args = parseHelloWorldArgs(["-text", "world", "-json"]);
 * console.assert(args.text === "world" && args.json);
 * ```
 */
export function parseHelloWorldArgs(argv: readonly string[]): HelloWorldArgs {
  const args: HelloWorldArgs = {
    addr: ":7777",
    text: "Hello",
    target: "",
    latencyMs: 0,
    failureRate: 0,
    json: false,
    protocol: "http",
    help: false,
  };
  let i = 0;
  while (i < argv.length) {
    const used = parseOne(args, argv, i);
    if (used === 0 || args.help) break;
    i += used;
  }
  return args;
}

/** Parses the flag at `argv[i]`; returns how many words it used, 0 when parsing stops there. */
function parseOne(args: HelloWorldArgs, argv: readonly string[], i: number): number {
  const word = argv[i] ?? "";
  if (word.length < 2 || !word.startsWith("-")) return 0;
  if (word === "--") return 0;
  const body = word.slice(word.startsWith("--") ? 2 : 1);
  if (body === "" || body.startsWith("-") || body.startsWith("=")) {
    throw new FlagError(`bad flag syntax: ${word}`);
  }
  const eq = body.indexOf("=");
  const name = eq < 0 ? body : body.slice(0, eq);
  const inline = eq < 0 ? undefined : body.slice(eq + 1);
  const spec = FLAGS.get(name);
  if (spec === undefined) {
    if (name === "h" || name === "help") {
      args.help = true;
      return 1;
    }
    throw new FlagError(`flag provided but not defined: -${name}`);
  }
  if (spec.bool || inline !== undefined) {
    setFlag(args, name, spec, inline ?? "true");
    return 1;
  }
  const next = argv[i + 1];
  if (next === undefined) throw new FlagError(`flag needs an argument: -${name}`);
  setFlag(args, name, spec, next);
  return 2;
}

function setFlag(args: HelloWorldArgs, name: string, spec: FlagSpec, value: string): void {
  try {
    spec.set(args, value);
  } catch (e: unknown) {
    const why = e instanceof Error ? e.message : String(e);
    const kind = spec.bool ? "boolean value" : "value";
    throw new FlagError(`invalid ${kind} "${value}" for -${name}: ${why}`, { cause: e });
  }
}

/** Milliseconds per Go duration unit. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/**
 * Parses a Go `time.ParseDuration` string (`100ms`, `1.5s`, `1m30s`, `0`) into milliseconds.
 *
 * @param text the duration text; a sign prefix is allowed, a unit is required except for `0`
 * @returns the duration in (possibly fractional) milliseconds
 * @throws {SyntaxError} when the text is not a Go duration
 * @example
 * ```ts
 * import { parseGoDuration } from "./go_flags.ts";
 * console.assert(parseGoDuration("1m30s") === 90_000);
 * ```
 */
export function parseGoDuration(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  let rest = /^[-+]/.test(text) ? text.slice(1) : text;
  if (rest === "0") return 0;
  if (rest === "") throw new SyntaxError(`time: invalid duration "${text}"`);
  let total = 0;
  while (rest !== "") {
    const m = DURATION_PART.exec(rest);
    const unitMs = UNIT_MS[m?.[2] ?? ""];
    if (m === null || unitMs === undefined) {
      throw new SyntaxError(`time: invalid duration "${text}"`);
    }
    total += Number(m[1]) * unitMs;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/**
 * Parses a decimal float the way Go's `strconv.ParseFloat` reads `0.5` or `1e-1`.
 *
 * @param text the number text, no surrounding spaces
 * @returns the number
 * @throws {SyntaxError} when the text is not a decimal number
 * @example
 * ```ts
 * import { parseGoFloat } from "./go_flags.ts";
 * console.assert(parseGoFloat("0.25") === 0.25);
 * ```
 */
export function parseGoFloat(text: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new SyntaxError("parse error");
  return Number(text);
}

const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

function parseGoBool(text: string): boolean {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new SyntaxError("parse error");
}

/**
 * Splits a Go listen address (`:7777`, `127.0.0.1:0`, `[::1]:7777`) into Deno.serve options.
 * An empty host means every interface, as in Go (`0.0.0.0` here).
 *
 * @param addr the address
 * @returns hostname and port
 * @throws {SyntaxError} when there is no port or the port is not 0–65535
 * @example
 * ```ts
 * import { parseGoAddr } from "./go_flags.ts";
 * console.assert(parseGoAddr(":7777").hostname === "0.0.0.0");
 * ```
 */
export function parseGoAddr(addr: string): { hostname: string; port: number } {
  const colon = addr.lastIndexOf(":");
  if (colon < 0) throw new SyntaxError(`address ${addr}: missing port in address`);
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) throw new SyntaxError(`address ${addr}: too many colons in address`);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65_535) {
    throw new SyntaxError(`address ${addr}: invalid port`);
  }
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}
