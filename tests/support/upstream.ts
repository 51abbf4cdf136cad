/**
 * Real upstream servers for black-box tests: `Deno.serve` on 127.0.0.1, port 0.
 *
 * @module
 */

/** A running upstream. */
export interface Upstream {
  readonly port: number;
  /** `127.0.0.1 <port>` — a line for an io.l5d.fs namer file. */
  readonly fsLine: string;
  /** Requests seen. */
  readonly seen: { method: string; url: string; headers: Record<string, string> }[];
  close(): Promise<void>;
}

/**
 * An upstream that answers `name` and echoes what it received as JSON
 * (`{name, method, url, headers}`), or runs a custom handler.
 */
export function startUpstream(
  name: string,
  handler?: (req: Request) => Response | Promise<Response>,
): Upstream {
  const seen: Upstream["seen"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) headers[k] = v;
    seen.push({ method: req.method, url: req.url, headers });
    if (handler) return handler(req);
    return Response.json({ name, method: req.method, url: req.url, headers });
  });
  const port = (server.addr as Deno.NetAddr).port;
  return {
    port,
    fsLine: `127.0.0.1 ${port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** Run curl with args; returns status code, headers and body. Bounded by `-m`. */
export async function curl(
  args: string[],
): Promise<{ code: number; status: number; headers: Headers; body: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-S", "-m", "20", "-D", "/dev/stderr", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const head = new TextDecoder().decode(out.stderr);
  const headers = new Headers();
  let status = 0;
  // -D may hold several blocks (100-continue); keep the last.
  for (const line of head.split(/\r?\n/)) {
    const m = /^HTTP\/[\d.]+ (\d{3})/.exec(line);
    if (m) {
      status = Number(m[1]);
      for (const k of [...headers.keys()]) headers.delete(k);
      continue;
    }
    const i = line.indexOf(":");
    if (i > 0) {
      try {
        headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      } catch {
        // not a header line (curl error text)
      }
    }
  }
  return { code: out.code, status, headers, body: new TextDecoder().decode(out.stdout) };
}

/** A temp directory for an io.l5d.fs namer, with `files` written in. */
export async function fsNamerDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sy-disco-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** Poll `fn` until it returns true or `ms` pass. */
export async function eventually(
  fn: () => Promise<boolean> | boolean,
  ms = 5000,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await fn();
}

/**
 * The low end of the kernel's ephemeral range (`ip_local_port_range`), from which it picks the
 * ports of `port: 0` listeners and of outgoing connections; 32768 where /proc cannot be read.
 */
function ephemeralLow(): number {
  try {
    const low = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[0],
    );
    if (low > 0) return low;
  } catch {
    // not Linux, or no /proc
  }
  return 32768;
}

const FIXED_PORTS_FROM = 20_000;
/** Ports {@link freePort} may draw: from FIXED_PORTS_FROM up to the ephemeral range (read once). */
const FIXED_PORTS_SPAN = ephemeralLow() - FIXED_PORTS_FROM;
const picked = new Set<number>();

/**
 * A port that was free a moment ago on 127.0.0.1 (for CLIs that need a fixed port number).
 *
 * It is drawn at random from below the kernel's ephemeral range: a port the kernel hands out
 * itself (another test's `port: 0` listener, a client's source port) can be taken between this
 * check and the caller's bind, and was, once in a CI run ("Address already in use"). Only other
 * callers of this function draw from the same range, and at random over ~12,000 ports.
 */
export function freePort(): number {
  for (let attempt = 0; FIXED_PORTS_SPAN > 1000 && attempt < 200; attempt++) {
    const port = FIXED_PORTS_FROM + Math.floor(Math.random() * FIXED_PORTS_SPAN);
    if (picked.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue; // in use
    }
    picked.add(port);
    return port;
  }
  using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return (l.addr as Deno.NetAddr).port;
}
