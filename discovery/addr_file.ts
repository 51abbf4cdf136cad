/**
 * The `io.l5d.fs` file format (L1 `namer/fs/.../WatchingNamer.scala` `txtToAddr`): one endpoint
 * per line, `host port` or `host port * weight`; `#` starts a comment; blank lines are ignored;
 * the port must be in 1..65535. Any malformed line makes the whole file `failed`, with a message
 * naming `file:line`. Exact duplicate lines collapse (the result is a set). An IP literal is
 * normalized as Java's `InetAddress` reads it (`127.1` is `127.0.0.1`, as in linkerd-examples'
 * getting-started `disco/hello`), so the delegator, `/client_state.json` and the endpoint stats
 * show the address Linkerd shows; host names are kept as written (resolved when connecting).
 * Deviation: a weight must be a finite number ≥ 0
 * (Java's `toDouble` would also take `NaN` or `-1`).
 *
 * @module
 */
import type { Addr, Address } from "./types.ts";
import { address, boundAddr } from "./addr.ts";
import { parseIpLiteral } from "./ip_literal.ts";

const PORT = /^\d{1,5}$/;
const WEIGHT = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseLine(line: string): Address | string {
  const f = line.split(/\s+/);
  const [written, portText, star, weightText] = f;
  if (written === undefined || portText === undefined) return "expected 'host port [* weight]'";
  const host = parseIpLiteral(written) ?? written;
  if (f.length !== 2 && !(f.length === 4 && star === "*")) {
    return "expected 'host port' or 'host port * weight'";
  }
  const port = PORT.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `port out of range 1..65535: ${portText}`;
  if (weightText === undefined) return address(host, port);
  const weight = WEIGHT.test(weightText) ? Number(weightText) : NaN;
  if (!Number.isFinite(weight)) return `bad weight: ${weightText}`;
  return address(host, port, weight);
}

/**
 * Parse the text of one `io.l5d.fs` file.
 *
 * @param text The file contents.
 * @param file The file name used in error messages.
 * @returns `bound` (possibly with zero addresses) or `failed` naming the first bad line.
 * @example
 * ```ts
 * import { parseAddrFile } from "./addr_file.ts";
 * parseAddrFile("10.0.0.1 8080\n10.0.0.2 8080 * 2.0 # canary\n", "web");
 * // bound [10.0.0.1:8080 w1, 10.0.0.2:8080 w2]
 * ```
 */
export function parseAddrFile(text: string, file: string): Addr {
  const addrs: Address[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") continue;
    const parsed = parseLine(line);
    if (typeof parsed === "string") {
      return { type: "failed", error: `${file}:${i + 1}: malformed address '${line}': ${parsed}` };
    }
    addrs.push(parsed);
  }
  return boundAddr(addrs);
}
