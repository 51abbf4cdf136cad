/**
 * `protocol: h2` routers (L1 `protocol-h2.md`): a real gRPC client and server (`@grpc/grpc-js`)
 * through Switchyard, nghttp (h2c prior knowledge) and curl (h2 by ALPN over TLS), with HTTP/2
 * upstreams on loopback.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";

const http2 = await import("node:http2");

const identity = (b: Uint8Array) => b;
const GREETER = {
  Say: {
    path: "/hello.Greeter/Say",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Uint8Array) => Buffer.from(b),
    requestDeserialize: identity,
    responseSerialize: (b: Uint8Array) => Buffer.from(b),
    responseDeserialize: identity,
  },
};

interface Call {
  message: string;
  metadata: Record<string, unknown>;
}

/** A gRPC server: "fail" → UNAVAILABLE, "bad" → INVALID_ARGUMENT, else "hi <message>". */
async function grpcUpstream(): Promise<{ port: number; calls: Call[]; close(): void }> {
  const calls: Call[] = [];
  const server = new grpc.Server();
  server.addService(GREETER as unknown as grpc.ServiceDefinition, {
    Say: (
      call: grpc.ServerUnaryCall<Uint8Array, Uint8Array>,
      cb: grpc.sendUnaryData<Uint8Array>,
    ) => {
      const message = new TextDecoder().decode(call.request);
      calls.push({ message, metadata: call.metadata.getMap() });
      if (message === "fail") cb({ code: grpc.status.UNAVAILABLE, details: "unavailable" });
      else if (message === "bad") cb({ code: grpc.status.INVALID_ARGUMENT, details: "bad" });
      else cb(null, Buffer.from(`hi ${message}`));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => e ? reject(e) : resolve(p),
    )
  );
  return { port, calls, close: () => server.forceShutdown() };
}

/** One unary call; resolves with the reply text or the gRPC status code. */
function say(
  client: grpc.Client,
  message: string | Uint8Array,
): Promise<{ text?: string; code?: number }> {
  const body = typeof message === "string" ? new TextEncoder().encode(message) : message;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      GREETER.Say.path,
      (b: Uint8Array) => Buffer.from(b),
      identity,
      body,
      (e: grpc.ServiceError | null, r?: Uint8Array) =>
        resolve(e ? { code: e.code } : { text: new TextDecoder().decode(r) }),
    );
  });
}

async function metrics(admin: string): Promise<Record<string, number>> {
  return await (await fetch(`${admin}/admin/metrics.json`)).json();
}

Deno.test("h2: gRPC routed by service with io.l5d.header.path, grpc.default retries UNAVAILABLE only", async () => {
  const up = await grpcUpstream();
  const disco = await fsNamerDir({ "hello.Greeter": `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  label: grpc
  experimental: true
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  service:
    responseClassifier: {kind: io.l5d.h2.grpc.default}
    retries:
      budget: {minRetriesPerSec: 5, percentCanRetry: 0.0}
  servers: [{port: 0}]
`);
  const client = new grpc.Client(
    `127.0.0.1:${sy.ports.grpc![0]}`,
    grpc.credentials.createInsecure(),
  );
  try {
    assertEquals(await say(client, "bob"), { text: "hi bob" });
    const seen = up.calls[0]!.metadata;
    assertEquals(seen["l5d-dst-service"], "/svc/hello.Greeter");
    assertEquals(seen["l5d-dst-client"], "/#/io.l5d.fs/hello.Greeter");
    assertEquals(seen["via"], "1.1 linkerd");

    // UNAVAILABLE (14) is retryable under io.l5d.h2.grpc.default: retried within the budget,
    // and the client still gets the upstream's status from the trailers.
    assertEquals(await say(client, "fail"), { code: grpc.status.UNAVAILABLE });
    const fails = up.calls.filter((c) => c.message === "fail").length;
    // The budget holds minRetriesPerSec × ttlSecs (10 s) = 50 retries.
    assert(fails > 1 && fails <= 51, `"fail" reached the upstream ${fails} times`);
    // INVALID_ARGUMENT (3) is a failure that is not retried.
    assertEquals(await say(client, "bad"), { code: grpc.status.INVALID_ARGUMENT });
    assertEquals(up.calls.filter((c) => c.message === "bad").length, 1);

    // A message larger than the response buffer and the stream window streams through.
    const big = new Uint8Array(300_000).fill(120);
    const r = await say(client, big);
    assertEquals(r.text?.length, 300_003);

    const m = await metrics(sy.admin);
    const svc = "rt/grpc/service/svc/hello.Greeter";
    assertEquals(m[`${svc}/requests`], 4);
    assertEquals(m[`${svc}/success`], 2);
    assertEquals(m[`${svc}/failures`], 2);
    assertEquals(m[`${svc}/retries/total`], fails - 1);
    assertEquals(m["rt/grpc/client/#/io.l5d.fs/hello.Greeter/requests"], 3 + fails);
    // The server level counts the class the service's classifier gave (l5d-success-class), as
    // Linkerd's SuccessClassClassifier: gRPC failures are failures there too, not 200 successes.
    const server = `rt/grpc/server/127.0.0.1/${sy.ports.grpc![0]}`;
    assertEquals(m[`${server}/requests`], 4);
    assertEquals([m[`${server}/success`], m[`${server}/failures`]], [2, 2]);

    // An unroutable request is refused with RST_STREAM REFUSED_STREAM (Linkerd's ErrorReseter),
    // which a gRPC client sees as UNAVAILABLE, not as an HTTP 400.
    const refused = await nghttp(["-v", `http://127.0.0.1:${sy.ports.grpc![0]}/`]);
    assert(/RST_STREAM[\s\S]*REFUSED_STREAM/.test(refused), refused);
  } finally {
    client.close();
    await sy.stop();
    up.close();
  }
});

/** An h2c upstream: echoes the path and `:authority`, and ends with a trailer. */
async function h2Upstream(): Promise<{ port: number; close(): void }> {
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("data", () => {});
    stream.on("end", () => {
      if (headers[":path"] === "/slow") {
        // A stream that outlasts classificationTimeoutMs, then fails with gRPC UNAVAILABLE.
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
      stream.end(`path=${headers[":path"]} via=${headers["via"]}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** An h2c upstream process that writes part of a body, then exits (its connection is lost). */
async function dyingUpstream(): Promise<{ port: number; child: Deno.ChildProcess }> {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import http2 from "node:http2";
const s = http2.createServer();
s.on("stream", (st) => { st.respond({ ":status": 200 }); st.write("partial\\n"); setTimeout(() => Deno.exit(0), 100); });
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the dying upstream did not start");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void child.stdout.cancel();
  return { port: Number(text.trim()), child };
}

async function nghttp(args: string[]): Promise<string> {
  const out = await new Deno.Command("nghttp", { args, stdout: "piped", stderr: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("h2: nghttp prior knowledge routed by :authority; trailers forwarded; l5d-err on no hosts", async () => {
  const up = await h2Upstream();
  const dying = await dyingUpstream();
  const disco = await fsNamerDir({
    web: `127.0.0.1 ${up.port}`,
    rpc: `127.0.0.1 ${up.port}`,
    dying: `127.0.0.1 ${dying.port}`,
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/rpc
      responseClassifier: {kind: io.l5d.h2.grpc.default}
  servers: [{port: 0}]
`);
  const port = sy.ports.h2![0];
  try {
    const ok = await nghttp(["-v", "-H", ":authority: web", `http://127.0.0.1:${port}/a/b?c=1`]);
    assert(ok.includes(":status: 200"), ok);
    assert(ok.includes("path=/a/b?c=1 via=1.1 linkerd"), ok);
    assert(ok.includes("x-checksum: abc123"), `trailer forwarded:\n${ok}`);
    const none = await nghttp(["-v", "-H", ":authority: nowhere", `http://127.0.0.1:${port}/`]);
    assert(/:status: 5\d\d/.test(none), none);
    assert(none.includes("l5d-err:"), none);
    // A stream still flowing after classificationTimeoutMs is classified when it ends, on its
    // trailers: a failure in the stats, and l5d-success-class goes out as a trailer.
    const slow = await nghttp(["-v", "-H", ":authority: rpc", `http://127.0.0.1:${port}/slow`]);
    assert(slow.includes("part two"), slow);
    assert(slow.includes("grpc-status: 14"), slow);
    assert(slow.includes("l5d-success-class: 0.0"), `success class in the trailers:\n${slow}`);
    // A body cut short by an upstream process that dies is reset downstream, not ended cleanly.
    const cut = await curl([
      "--http2-prior-knowledge",
      "-H",
      "Host: dying",
      `http://127.0.0.1:${port}/`,
    ]);
    assert(cut.code !== 0, `curl saw the truncated stream as complete: ${cut.code} ${cut.body}`);
    assert(cut.body.startsWith("partial"), cut.body);
    const m = await metrics(sy.admin);
    assertEquals(m["rt/h2/service/svc/rpc/failures"], 1);
    assertEquals(m["rt/h2/service/svc/rpc/success"] ?? 0, 0);
    assertEquals(m["rt/h2/service/svc/web/requests"], 1);
    assertEquals(m[`rt/h2/server/127.0.0.1/${port}/connects`], 4);
  } finally {
    await sy.stop();
    up.close();
    try {
      dying.child.kill();
    } catch {
      // it has exited, as it should
    }
    await dying.child.status;
  }
});

async function sh(cmd: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("bash", { args: ["-c", cmd], cwd, stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr)}`);
}

Deno.test("h2: TLS termination by ALPN and TLS origination to an h2 upstream with commonName", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-h2-tls-" });
  await sh(
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ca 2>/dev/null",
    dir,
  );
  for (const [name, san] of [["world", "DNS:world.svc"], ["router", "IP:127.0.0.1"]]) {
    await sh(
      `openssl req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj /CN=${name} 2>/dev/null && ` +
        `printf 'subjectAltName=${san}' > ${name}.ext && ` +
        `openssl x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${name}.pem -days 2 -extfile ${name}.ext 2>/dev/null`,
      dir,
    );
  }
  const upstream = http2.createSecureServer({
    cert: await Deno.readTextFile(`${dir}/world.pem`),
    key: await Deno.readTextFile(`${dir}/world.key`),
  });
  upstream.on("stream", (stream, headers) => {
    stream.respond({ ":status": 200 });
    stream.end(`tls h2 upstream saw ${headers[":authority"]}\n`);
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  const upPort = (upstream.address() as { port: number }).port;
  const disco = await fsNamerDir({ world: `127.0.0.1 ${upPort}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
    tls: {certPath: ${dir}/router.pem, keyPath: ${dir}/router.key}
  client:
    tls: {commonName: world.svc, trustCertsBundle: ${dir}/ca.pem}
`);
  try {
    const r = await curl([
      "--http2",
      "--cacert",
      `${dir}/ca.pem`,
      "-H",
      "Host: world",
      "-w",
      "\nversion=%{http_version}",
      `https://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    assertEquals(r.status, 200, r.body);
    assert(r.body.includes("tls h2 upstream saw world"), r.body);
    assert(r.body.includes("version=2"), `ALPN negotiated h2: ${r.body}`);
  } finally {
    await sy.stop();
    upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});
