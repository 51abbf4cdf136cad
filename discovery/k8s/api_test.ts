import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { createK8sApi, K8sApiError, readWatchEvents, resolveK8sEndpoint } from "./api.ts";
import { startFakeK8sApi } from "./fake_api.ts";

async function serviceAccountDir(token: string, ca?: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sy-sa-" });
  await Deno.writeTextFile(`${dir}/token`, token + "\n");
  await Deno.writeTextFile(`${dir}/namespace`, "default");
  if (ca) await Deno.writeTextFile(`${dir}/ca.crt`, ca);
  return dir;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl CLI). */
async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
  ]);
  await run(["req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"]);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  await run([
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ]);
  return {
    ca: await Deno.readTextFile(`${dir}/ca.crt`),
    cert: await Deno.readTextFile(`${dir}/srv.crt`),
    key: await Deno.readTextFile(`${dir}/srv.key`),
  };
}

Deno.test("resolveK8sEndpoint() defaults to a kubectl proxy on localhost:8001", () => {
  assertEquals(resolveK8sEndpoint({ env: () => undefined }), {
    mode: "proxy",
    baseUrl: "http://localhost:8001",
  });
  assertEquals(
    resolveK8sEndpoint({ host: "::1", port: 9000, env: () => undefined }).baseUrl,
    "http://[::1]:9000",
  );
});

Deno.test("resolveK8sEndpoint() uses the service account in a pod when host and port are unset", async () => {
  const dir = await serviceAccountDir("t0k3n");
  try {
    const env = (n: string) =>
      ({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "6443" })[n];
    const opts = { env, serviceAccountDir: dir };
    assertEquals(resolveK8sEndpoint(opts), {
      mode: "serviceAccount",
      baseUrl: "https://10.96.0.1:6443",
    });
    // Linkerd configs that name a kubectl proxy keep using it
    assertEquals(resolveK8sEndpoint({ ...opts, host: "localhost", port: 8001 }).mode, "proxy");
    assertEquals(resolveK8sEndpoint({ ...opts, useServiceAccount: false }).mode, "proxy");
    // explicit: host/port override the environment
    assertEquals(
      resolveK8sEndpoint({ ...opts, useServiceAccount: true, host: "api.local", port: 443 })
        .baseUrl,
      "https://api.local:443",
    );
    // not in a pod: no token file
    assertEquals(resolveK8sEndpoint({ env, serviceAccountDir: `${dir}/nope` }).mode, "proxy");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveK8sEndpoint() rejects useServiceAccount without an API host", () => {
  let error = "";
  try {
    resolveK8sEndpoint({ useServiceAccount: true, env: () => undefined });
  } catch (e: unknown) {
    error = (e as Error).message;
  }
  assert(error.includes("KUBERNETES_SERVICE_HOST"), error);
});

Deno.test("createK8sApi() lists over HTTPS with the service account token and CA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-" });
  const { ca, cert, key } = await makeCerts(dir);
  const fake = startFakeK8sApi({ tls: { cert, key }, requireToken: "s3cret" });
  const sa = await serviceAccountDir("s3cret", ca);
  let now = 1_000_000;
  const api = createK8sApi({
    env: (n) =>
      ({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(fake.port) })[n],
    serviceAccountDir: sa,
    now: () => now,
  });
  try {
    assertEquals(api.mode, "serviceAccount");
    fake.setEndpoints("default", "web", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }]);
    const list = await api.list("default", "endpoints", {}, new AbortController().signal);
    assertEquals(list.items?.length, 1);
    assertEquals(list.kind, "EndpointsList");
    // the token rotates: re-read after a minute
    await Deno.writeTextFile(`${sa}/token`, "rotated");
    now += 61_000;
    const e = await assertRejects(() =>
      api.list("default", "endpoints", {}, new AbortController().signal)
    );
    assert(e instanceof K8sApiError && e.status === 401, String(e));
  } finally {
    api.close();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(sa, { recursive: true });
  }
});

Deno.test("createK8sApi() reports a non-2xx list as K8sApiError with the status", async () => {
  const fake = startFakeK8sApi();
  const api = createK8sApi({ host: fake.hostname, port: fake.port });
  try {
    fake.failNext(1, 403);
    const e = await assertRejects(() =>
      api.list("default", "services", {}, new AbortController().signal)
    );
    assert(e instanceof K8sApiError && e.status === 403, String(e));
  } finally {
    api.close();
    await fake.close();
  }
});

function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
}

Deno.test("readWatchEvents() reassembles events split across chunks", async () => {
  const body = chunked(
    '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD',
    'IFIED","object":{}}\n\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}',
  );
  const types: string[] = [];
  for await (const ev of readWatchEvents(body)) types.push(ev.type);
  assertEquals(types, ["ADDED", "MODIFIED", "BOOKMARK"]);
});

Deno.test("readWatchEvents() rejects a malformed or oversized line", async () => {
  await assertRejects(async () => {
    for await (const _ of readWatchEvents(chunked("not json\n"))) { /* drain */ }
  });
  await assertRejects(async () => {
    for await (const _ of readWatchEvents(chunked("x".repeat(100)), 10)) { /* drain */ }
  });
});
