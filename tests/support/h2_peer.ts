/**
 * HTTP/2 and gRPC peers for the h2 tests, run as child processes (`deno run -A h2_peer.ts MODE`):
 * Deno's `node:http2` (nghttp2) has aborted a whole process on an assertion while closing
 * sessions (`find_stream_on_goaway_func`), which in the test runner would take every test of the
 * file down. Each peer prints one JSON line per event on stdout; servers are killed, never closed.
 *
 * Modes:
 * - `grpc-server [MAX_STREAMS [MAX_AGE_MS]]`: a gRPC server (`@grpc/grpc-js`) for
 *   `/hello.Greeter/Say`: "fail" → UNAVAILABLE, "bad" → INVALID_ARGUMENT, "sleep:N" → "hi sleep:N"
 *   after N ms, else "hi <message>". `MAX_STREAMS`: its SETTINGS_MAX_CONCURRENT_STREAMS;
 *   `MAX_AGE_MS`: it sends GOAWAY on each connection that old (gRPC's max connection age). Prints
 *   `{"port"}`, then `{"call", "metadata"}` per call.
 * - `grpc-client ADDRESS MESSAGE...`: one unary call per message (`@N` sends N bytes of "x");
 *   prints `{"text"}` or `{"code"}` per call, then `{"done": true}`.
 * - `grpc-load ADDRESS TOTAL CONCURRENCY MESSAGE [DEADLINE_MS]`: TOTAL unary calls of MESSAGE,
 *   CONCURRENCY at a time on one channel, each with that deadline (`grpc-timeout`) if given;
 *   prints `{"codes"}` (status code or "ok" → count), then `{"done": true}`.
 * - `grpc-cancel ADDRESS MESSAGE MS`: one unary call, cancelled (RST_STREAM CANCEL) after MS;
 *   prints `{"code"}`, then `{"done": true}`.
 * - `h2-server [CERT KEY [CA]]`: an h2c (or TLS) server: `/slow` streams past the
 *   classification timeout and ends with `grpc-status: 14`; `/empty` is a 200 without a body,
 *   `/500` a 500 with the body "boom"; any other path echoes
 *   `path=… via=…` and ends with the trailer `x-checksum: abc123`. With `CA`, clients must present
 *   a certificate it signed, and the echo adds ` peer=<CN> xfcc=<x-forwarded-client-cert>`.
 *   Prints `{"port"}`.
 * - `h2-dying`: writes part of a body, then exits (its connection is lost). Prints `{"port"}`.
 * - `h2-limited`: allows 5 concurrent streams, answers each after 200 ms. Prints `{"port"}`.
 * - `h2-reset`: resets streams. `/rst/CODE`: RST_STREAM CODE before a response; `/mid/CODE`: a
 *   200 with "partial", then RST_STREAM CODE 300 ms later (`/early/CODE`: 20 ms later); `/hold`: a 200 with "partial", then nothing. Prints
 *   `{"port"}`, then `{"closed": PATH, "rstCode"}` when a stream closes.
 * - `h2-reset-client ADDRESS AUTHORITY PATH CODE`: one request; after the response head and the
 *   first DATA it resets the stream with CODE. Prints `{"status"}` then `{"done": true}`.
 * - `h2-settings-server`: an h2c server that prints `{"settings"}` (the client's SETTINGS, as
 *   node:http2 holds them) per request and answers 200 "ok". Prints `{"port"}` first.
 * - `h2-trailers-server`: an h2c server that prints `{"path", "bytes", "head", "te", "trailers"}`
 *   per request (the body's length, `x-head`, `te`, the request's trailers or null) and answers 200 "ok", except the
 *   first request to `/fail-once`, a 503.
 * - `h2-trailers-client ADDRESS AUTHORITY PATH BYTES [TRAILERS_JSON]`: one POST (`x-head: h`,
 *   `te: trailers`) of BYTES bytes, ended with those trailers (a HEADERS frame) when given.
 *   Prints `{"status", "body"}`, then `{"done": true}`.
 * - `h2-echo`: an h2c server. `/delay/MS`: a 200 "delayed MS" after MS; `/big/N`: a 200 with N
 *   bytes of "x"; `/drain`: a 200 that ends at once, then reads the request body and prints
 *   `{"drained": BYTES}` when it ends; `/try/N/KEY` (ClassifiedRetryFilterTest's service): the
 *   i-th request to it reads the body, prints `{"try": KEY, "i", "body"}` and answers a 200
 *   "good" "bye" ending with the trailers `grpc-status: 14` (UNAVAILABLE) while i < N, else
 *   `grpc-status: 0`, and `i: <i>`; `/slow500`: a 500 with "part one", ended 500 ms later; any
 *   other path: a 200 at once with `x-req` (the request's
 *   headers as JSON; and `l5d-echo: V` for a request with `x-respond-l5d: V`), then the request body echoed back as it arrives. Prints `{"port"}`, then
 *   `{"closed": PATH, "rstCode"}` when a stream closes.
 * - `h2-lockstep ADDRESS AUTHORITY STREAMS LEN FRAME`: STREAMS POSTs at once, then LEN bytes
 *   through each, FRAME bytes at a time, each frame written to every stream only once every
 *   stream echoed the previous one back (an echo upstream). Prints `{"ok", "bytes"}` or
 *   `{"error"}`, then `{"done": true}`.
 * - `h2-upload ADDRESS AUTHORITY PATH BYTES`: one POST whose BYTES-byte body is written after the
 *   response head arrived. Prints `{"status", "body"}`, then `{"done": true}`.
 * - `h2-disconnect ADDRESS AUTHORITY PATH`: one POST left open; once the response head and its
 *   first DATA arrived, the TCP connection is destroyed. Prints `{"status"}`, `{"done": true}`.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import net from "node:net";
import type { TLSSocket } from "node:tls";

const out = (o: unknown) => console.log(JSON.stringify(o));
const identity = (b: Buffer) => b;
const SAY = {
  path: "/hello.Greeter/Say",
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};

async function grpcServer(maxStreams?: string, maxAgeMs?: string): Promise<void> {
  const server = new grpc.Server({
    ...(maxStreams ? { "grpc.max_concurrent_streams": Number(maxStreams) } : {}),
    ...(maxAgeMs ? { "grpc.max_connection_age_ms": Number(maxAgeMs) } : {}),
  });
  server.addService({ Say: SAY } as unknown as grpc.ServiceDefinition, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const message = call.request.toString();
      out({
        call: message.length > 64 ? `${message.slice(0, 8)}…(${message.length})` : message,
        metadata: call.metadata.getMap(),
      });
      if (message === "fail") cb({ code: grpc.status.UNAVAILABLE, details: "unavailable" });
      else if (message === "bad") cb({ code: grpc.status.INVALID_ARGUMENT, details: "bad" });
      else if (message.startsWith("sleep:")) {
        // Before the reply, "cancelled" is the client's (or router's) RST_STREAM.
        call.once("cancelled", () => out({ cancelled: message }));
        setTimeout(() => cb(null, Buffer.from(`hi ${message}`)), Number(message.slice(6)));
      } else cb(null, Buffer.from(`hi ${message}`));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  out({ port });
}

async function grpcClient(address: string, messages: string[]): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  for (const m of messages) {
    const body = m.startsWith("@") ? Buffer.alloc(Number(m.slice(1)), "x") : Buffer.from(m);
    const r = await new Promise<{ text?: string; code?: number }>((resolve) =>
      client.makeUnaryRequest(
        SAY.path,
        identity,
        identity,
        body,
        (e: grpc.ServiceError | null, v?: Buffer) =>
          resolve(
            e ? { code: e.code } : { text: v!.length > 64 ? `len ${v!.length}` : v!.toString() },
          ),
      )
    );
    out(r);
  }
  out({ done: true });
  Deno.exit(0); // no graceful close: the process ends with its connection
}

async function grpcLoad(
  address: string,
  total: number,
  concurrency: number,
  message: string,
  deadlineMs?: number,
) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const codes: Record<string, number> = {};
  let started = 0;
  const one = () =>
    new Promise<void>((resolve) =>
      client.makeUnaryRequest(SAY.path, identity, identity, Buffer.from(message), {
        ...(deadlineMs ? { deadline: Date.now() + deadlineMs } : {}),
      }, (e) => {
        const k = e ? String(e.code) : "ok";
        codes[k] = (codes[k] ?? 0) + 1;
        resolve();
      })
    );
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started++;
      await one();
    }
  }));
  out({ codes });
  out({ done: true });
  Deno.exit(0);
}

async function grpcCancel(address: string, message: string, ms: number): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const code = await new Promise<number>((resolve) => {
    const call = client.makeUnaryRequest(
      SAY.path,
      identity,
      identity,
      Buffer.from(message),
      (e) => resolve(e ? e.code : 0),
    );
    setTimeout(() => call.cancel(), ms);
  });
  out({ code });
  out({ done: true });
  Deno.exit(0);
}

function h2Server(cert?: string, key?: string, ca?: string): void {
  const server = cert && key
    ? http2.createSecureServer({
      cert: Deno.readTextFileSync(cert),
      key: Deno.readTextFileSync(key),
      ...(ca ? { ca: Deno.readTextFileSync(ca), requestCert: true, rejectUnauthorized: true } : {}),
    })
    : http2.createServer();
  server.on("tlsClientError", () => {});
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    stream.on("data", () => {});
    stream.on("end", () => {
      if (headers[":path"] === "/empty") {
        stream.respond({ ":status": 200 }, { endStream: true });
        return;
      }
      if (headers[":path"] === "/500") {
        stream.respond({ ":status": 500, "content-type": "text/plain" });
        stream.end("boom\n");
        return;
      }
      if (headers[":path"] === "/slow") {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
          waitForTrailers: true,
        });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "14" }));
        stream.write("part one\n");
        setTimeout(() => stream.end("part two\n"), 300);
        return;
      }
      stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc123" }));
      const peer = ca
        ? ` peer=${
          (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate()?.subject?.CN
        } xfcc=${headers["x-forwarded-client-cert"]}`
        : "";
      stream.end(
        `path=${headers[":path"]} via=${headers["via"]} authority=${
          headers[":authority"]
        }${peer}\n`,
      );
    });
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** An h2c server that allows 5 concurrent streams and answers each after 200 ms. */
function h2Limited(): void {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 5 } });
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    setTimeout(() => {
      try {
        stream.respond({ ":status": 200 });
        stream.end("ok\n");
      } catch {
        // the client went away
      }
    }, 200);
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

function h2Dying(): void {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200 });
    stream.write("partial\n");
    setTimeout(() => Deno.exit(0), 100);
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** An h2c server that resets its streams (see the module doc). */
function h2Reset(): void {
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    stream.on("error", () => {});
    stream.once("close", () => out({ closed: path, rstCode: stream.rstCode }));
    const [, kind, code] = path.split("/");
    if (kind === "rst") {
      stream.close(Number(code));
      return;
    }
    // Waiting for trailers keeps the stream open, so close(code) sends RST_STREAM (Deno's
    // node:http2 ends a stream without them cleanly).
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.write("partial\n");
    // `mid`: after the router's classification wait (100 ms); `early`: within it.
    if (kind === "mid") setTimeout(() => stream.close(Number(code)), 300);
    if (kind === "early") setTimeout(() => stream.close(Number(code)), 20);
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** One request that the client resets with `code` once the body has started. */
function h2ResetClient(address: string, authority: string, path: string, code: number): void {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  const stream = session.request({ ":authority": authority, ":path": path }, { endStream: true });
  stream.on("error", () => {});
  stream.on("response", (h) => out({ status: h[":status"] }));
  stream.once("data", () => {
    stream.close(code);
    setTimeout(() => {
      out({ done: true });
      Deno.exit(0);
    }, 300);
  });
}

/** An h2c server that reports the SETTINGS its client sent (see the module doc). */
function h2SettingsServer(): void {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    out({ settings: stream.session?.remoteSettings });
    stream.respond({ ":status": 200 });
    stream.end("ok\n");
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** An h2c server that reports each request's trailers (see the module doc). */
function h2TrailersServer(): void {
  const server = http2.createServer();
  let failed = false;
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    let bytes = 0;
    let trailers: http2.IncomingHttpHeaders | null = null;
    stream.on("data", (b: Uint8Array) => (bytes += b.length));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("end", () => {
      const path = String(headers[":path"]);
      out({ path, bytes, head: headers["x-head"] ?? null, te: headers["te"] ?? null, trailers });
      if (path === "/fail-once" && !failed) {
        failed = true;
        stream.respond({ ":status": 503 });
        stream.end("again\n");
        return;
      }
      stream.respond({ ":status": 200 });
      stream.end("ok\n");
    });
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** One POST whose stream ends with request trailers (see the module doc). */
function h2TrailersClient(
  address: string,
  authority: string,
  path: string,
  bytes: number,
  trailers?: string,
): void {
  const session = http2.connect(`http://${address}`);
  session.on("error", (e) => {
    out({ error: String(e) });
    Deno.exit(0);
  });
  const stream = session.request(
    { ":method": "POST", ":authority": authority, ":path": path, "x-head": "h", "te": "trailers" },
    trailers ? { waitForTrailers: true } : {},
  );
  if (trailers) stream.on("wantTrailers", () => stream.sendTrailers(JSON.parse(trailers)));
  stream.on("error", (e) => out({ error: String(e) }));
  let status = 0;
  let body = "";
  stream.on("response", (h) => (status = Number(h[":status"])));
  stream.on("data", (b: Uint8Array) => (body += new TextDecoder().decode(b)));
  stream.on("close", () => {
    out({ status, body, rstCode: stream.rstCode });
    out({ done: true });
    Deno.exit(0);
  });
  stream.end(Buffer.alloc(bytes, "x"));
}

/** An h2c server for streaming and header tests (see the module doc). */
function h2Echo(): void {
  const server = http2.createServer();
  const tries = new Map<string, number>();
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    stream.on("error", () => {});
    stream.once("close", () => out({ closed: path, rstCode: stream.rstCode }));
    const [, kind, arg, key] = path.split("/");
    if (kind === "try") {
      let body = "";
      stream.on("data", (b: Uint8Array) => (body += new TextDecoder().decode(b)));
      stream.on("end", () => {
        const i = (tries.get(key!) ?? 0) + 1;
        tries.set(key!, i);
        out({ try: key, i, body });
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
          waitForTrailers: true,
        });
        stream.on(
          "wantTrailers",
          () => stream.sendTrailers({ "grpc-status": i < Number(arg) ? "14" : "0", i: `${i}` }),
        );
        stream.write("good");
        setTimeout(() => stream.end("bye"), 10);
      });
      return;
    }
    if (kind === "slow500") {
      stream.on("data", () => {});
      stream.respond({ ":status": 500 });
      stream.write("part one\n");
      setTimeout(() => stream.end("part two\n"), 500);
      return;
    }
    if (kind === "delay") {
      stream.on("data", () => {});
      setTimeout(() => {
        stream.respond({ ":status": 200 });
        stream.end(`delayed ${arg}\n`);
      }, Number(arg));
      return;
    }
    if (kind === "big") {
      stream.on("data", () => {});
      stream.respond({ ":status": 200 });
      stream.end(Buffer.alloc(Number(arg), "x"));
      return;
    }
    if (kind === "drain") {
      let bytes = 0;
      stream.on("data", (b: Uint8Array) => (bytes += b.length));
      stream.on("end", () => out({ drained: bytes }));
      stream.respond({ ":status": 200 }, { endStream: true });
      return;
    }
    const req: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":")) req[k] = v;
    const extra = headers["x-respond-l5d"] ? { "l5d-echo": String(headers["x-respond-l5d"]) } : {};
    stream.respond({ ":status": 200, "x-req": JSON.stringify(req), ...extra });
    stream.pipe(stream);
  });
  server.listen(0, "127.0.0.1", () => out({ port: (server.address() as { port: number }).port }));
}

/** Lock-step echo streams through an echo upstream (see the module doc). */
async function h2Lockstep(
  address: string,
  authority: string,
  streams: number,
  len: number,
  frame: number,
): Promise<void> {
  const timer = setTimeout(() => {
    out({ error: "timed out" });
    out({ done: true });
    Deno.exit(0);
  }, 30_000);
  const session = http2.connect(`http://${address}`);
  session.on("error", (e) => out({ error: String(e) }));
  const open = Array.from({ length: streams }, () => {
    const s = session.request({ ":method": "POST", ":authority": authority, ":path": "/echo" });
    s.on("error", (e) => out({ error: String(e) }));
    let got = 0;
    let want = 0;
    let wake: (() => void) | undefined;
    s.on("data", (b: Uint8Array) => {
      got += b.length;
      if (got >= want) wake?.();
    });
    const ended = new Promise<void>((r) => s.on("end", r));
    return {
      s,
      ended,
      async send(bytes: number, eos: boolean) {
        want += bytes;
        const arrived = new Promise<void>((r) => (wake = r));
        const buf = Buffer.alloc(bytes, "y");
        if (eos) s.end(buf);
        else s.write(buf);
        if (got < want) await arrived;
      },
      get got() {
        return got;
      },
    };
  });
  let sent = 0;
  while (sent < len) {
    const n = Math.min(frame, len - sent);
    sent += n;
    await Promise.all(open.map((o) => o.send(n, sent === len)));
  }
  await Promise.all(open.map((o) => o.ended));
  clearTimeout(timer);
  out({ ok: open.every((o) => o.got === len), bytes: open.map((o) => o.got) });
  out({ done: true });
  Deno.exit(0);
}

/** One POST whose body is written after the response head (see the module doc). */
function h2Upload(address: string, authority: string, path: string, bytes: number): void {
  const session = http2.connect(`http://${address}`);
  session.on("error", (e) => out({ error: String(e) }));
  const stream = session.request({ ":method": "POST", ":authority": authority, ":path": path });
  stream.on("error", (e) => out({ error: String(e) }));
  let status = 0;
  let body = "";
  stream.on("response", (h) => {
    status = Number(h[":status"]);
    stream.end(Buffer.alloc(bytes, "z"));
  });
  stream.on("data", (b: Uint8Array) => (body += new TextDecoder().decode(b)));
  stream.on("close", () => {
    // The request body went out after the response ended: give it time to be flushed.
    setTimeout(() => {
      out({ status, body, rstCode: stream.rstCode });
      out({ done: true });
      Deno.exit(0);
    }, 1000);
  });
}

/** One open POST whose TCP connection is destroyed mid-stream (see the module doc). */
function h2Disconnect(address: string, authority: string, path: string): void {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), address.split(":").pop()];
  // Our own socket: node:http2 does not let a session's socket be destroyed directly.
  const sock = net.connect(Number(port), host);
  const session = http2.connect(`http://${address}`, { createConnection: () => sock });
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":authority": authority, ":path": path });
  stream.on("error", () => {});
  stream.write("open\n");
  stream.on("response", (h) => out({ status: h[":status"] }));
  stream.once("data", () => {
    sock.destroy();
    setTimeout(() => {
      out({ done: true });
      Deno.exit(0);
    }, 300);
  });
}

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  if (mode === "grpc-server") await grpcServer(args[0], args[1]);
  else if (mode === "grpc-cancel") await grpcCancel(args[0]!, args[1]!, Number(args[2]));
  else if (mode === "grpc-load") {
    await grpcLoad(args[0]!, Number(args[1]), Number(args[2]), args[3]!, Number(args[4] ?? 0));
  } else if (mode === "grpc-client") await grpcClient(args[0]!, args.slice(1));
  else if (mode === "h2-server") h2Server(args[0], args[1], args[2]);
  else if (mode === "h2-dying") h2Dying();
  else if (mode === "h2-limited") h2Limited();
  else if (mode === "h2-reset") h2Reset();
  else if (mode === "h2-reset-client") h2ResetClient(args[0]!, args[1]!, args[2]!, Number(args[3]));
  else if (mode === "h2-trailers-server") h2TrailersServer();
  else if (mode === "h2-settings-server") h2SettingsServer();
  else if (mode === "h2-echo") h2Echo();
  else if (mode === "h2-lockstep") {
    await h2Lockstep(args[0]!, args[1]!, Number(args[2]), Number(args[3]), Number(args[4]));
  } else if (mode === "h2-upload") h2Upload(args[0]!, args[1]!, args[2]!, Number(args[3]));
  else if (mode === "h2-disconnect") h2Disconnect(args[0]!, args[1]!, args[2]!);
  else if (mode === "h2-trailers-client") {
    h2TrailersClient(args[0]!, args[1]!, args[2]!, Number(args[3]), args[4]);
  } else throw new Error(`unknown mode ${mode}`);
}
