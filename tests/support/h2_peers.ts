/**
 * Start the HTTP/2 and gRPC peers of `h2_peer.ts` as child processes and read their JSON lines.
 *
 * @module
 */
import { ROOT } from "./switchyard.ts";

/** A running peer process. */
export interface Peer {
  /** The next JSON line (waits up to `ms`). */
  next(ms?: number): Promise<Record<string, unknown>>;
  /** Every line read so far. */
  readonly lines: Record<string, unknown>[];
  /** SIGKILL (no graceful HTTP/2 close), and wait for the exit. */
  kill(): Promise<void>;
  /** Resolves when the process exits. */
  readonly exited: Promise<Deno.CommandStatus>;
}

/** Spawn `h2_peer.ts MODE ARGS…` from the project root (its `node_modules` has grpc-js). */
export function startPeer(mode: string, ...args: string[]): Peer {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/support/h2_peer.ts`, mode, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const waiting: (() => void)[] = [];
  let read = 0;
  (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line.startsWith("{")) lines.push(JSON.parse(line));
        for (const w of waiting.splice(0)) w();
      }
    }
    for (const w of waiting.splice(0)) w();
  })();
  const exited = child.status;
  let ended = false;
  exited.then(() => {
    ended = true;
    for (const w of waiting.splice(0)) w();
  });
  return {
    lines,
    exited,
    async next(ms = 20_000) {
      const end = Date.now() + ms;
      while (read >= lines.length) {
        if (ended || Date.now() > end) {
          throw new Error(`peer ${mode}: no line (${ended ? "exited" : "timed out"})`);
        }
        await new Promise<void>((r) => {
          waiting.push(r);
          setTimeout(r, 200);
        });
      }
      return lines[read++]!;
    },
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/** A peer that prints its port first. */
export async function startPortPeer(
  mode: string,
  ...args: string[]
): Promise<{ peer: Peer; port: number }> {
  const peer = startPeer(mode, ...args);
  const first = await peer.next();
  return { peer, port: Number(first.port) };
}

/** Run the gRPC client peer against `address`; its results, one per message. */
export async function grpcCalls(
  address: string,
  messages: string[],
): Promise<{ text?: string; code?: number }[]> {
  const peer = startPeer("grpc-client", address, ...messages);
  const out: { text?: string; code?: number }[] = [];
  for (;;) {
    const l = await peer.next(60_000);
    if (l.done) break;
    out.push(l as { text?: string; code?: number });
  }
  await peer.exited;
  return out;
}

/**
 * Run `nghttp` with `args`; its standard output. When it prints nothing, its exit code and what
 * it said on standard error, marked, so that a test's assertion message shows why.
 */
export async function nghttp(args: string[]): Promise<string> {
  const out = await new Deno.Command("nghttp", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (text !== "") return text;
  return `(nghttp exited ${out.code} with no output; stderr: ${
    new TextDecoder().decode(out.stderr).trim()
  })`;
}
