/**
 * L1 `linkerd/docs/protocol-h2.md`, read as a black-box spec against the real process: what the
 * h2 test files (`h2_*_test.ts`, `linkerd_h2_*_test.ts`, `ingress_test.ts`) leave out — the
 * access log's append and roll keys, a list of identifiers, the `io.l5d.zipkin` trace propagator
 * and the server's default `SETTINGS_MAX_CONCURRENT_STREAMS`.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { runCli, startSwitchyard as start } from "../support/switchyard.ts";
import { nghttp, startPortPeer } from "../support/h2_peers.ts";
import { curl, eventually, fsNamerDir } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";

/** The request headers the `h2-echo` peer saw (its `x-req` response header), from nghttp -v. */
function echoed(out: string): Record<string, string> {
  const m = /x-req: (\{.*\})/.exec(out);
  assert(m, out);
  return JSON.parse(m[1]!);
}

async function logLines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l);
}

// "h2AccessLogAppend | true | Append to an existing logfile, or truncate it?";
// "h2AccessLogRollPolicy | never | … util-style data size strings (e.g. 3.megabytes …)";
// "h2AccessLogRotateCount | -1 | How many rotated logfiles to keep around".
Deno.test("docs protocol-h2: h2AccessLogAppend keeps or truncates the file; h2AccessLogRollPolicy size with h2AccessLogRotateCount", async () => {
  const up = await startPortPeer("h2-echo");
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-h2-log-" });
  const old = "OLD LINE from an earlier run\n";
  await Deno.writeTextFile(`${dir}/kept.log`, old);
  await Deno.writeTextFile(`${dir}/cut.log`, old);
  await Deno.mkdir(`${dir}/roll`);
  const router = (label: string, extra: string) => `
- protocol: h2
  label: ${label}
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]${extra}`;
  const sy = await start(`
admin: {port: 0}
routers:${router("kept", `\n  h2AccessLog: ${dir}/kept.log`)}${
    router("cut", `\n  h2AccessLog: ${dir}/cut.log\n  h2AccessLogAppend: false`)
  }${
    router(
      "roll",
      `\n  h2AccessLog: ${dir}/roll/access.log\n  h2AccessLogRollPolicy: 1.kilobyte` +
        `\n  h2AccessLogRotateCount: 2`,
    )
  }
`);
  const get = (label: string, path: string) =>
    nghttp(["-v", "-H", ":authority: dog", `http://127.0.0.1:${sy.ports[label]![0]}${path}`]);
  try {
    for (const label of ["kept", "cut"]) {
      assert((await get(label, `/${label}/one`)).includes(":status: 200"));
    }
    assert(
      await eventually(
        async () =>
          (await logLines(`${dir}/kept.log`)).some((l) => l.includes("/kept/one")) &&
          (await logLines(`${dir}/cut.log`)).some((l) => l.includes("/cut/one")),
        10_000,
      ),
      "lines written",
    );
    const kept = await logLines(`${dir}/kept.log`);
    assertEquals(kept[0], old.trim(), "append (the default) keeps the earlier lines");
    const cut = await logLines(`${dir}/cut.log`);
    assert(!cut.some((l) => l.includes("OLD LINE")), `truncated: ${cut.join("\n")}`);
    assertEquals(cut.length, 1);

    // ~100 bytes a line: 30 requests roll a 1 KB file at least twice; two rolled files are kept
    for (let i = 0; i < 30; i++) {
      assert((await get("roll", `/n/${String(i).padStart(2, "0")}`)).includes(":status: 200"));
    }
    assert(
      await eventually(
        async () => (await logLines(`${dir}/roll/access.log`)).some((l) => l.includes("/n/29")),
        10_000,
      ),
      "the last line is in access.log",
    );
    const names: string[] = [];
    for await (const e of Deno.readDir(`${dir}/roll`)) names.push(e.name);
    names.sort();
    assertEquals(names.at(-1), "access.log", names.join(" "));
    assertEquals(names.length, 3, `two rolled files kept: ${names.join(" ")}`);
    for (const n of names) {
      const size = (await Deno.stat(`${dir}/roll/${n}`)).size;
      assert(size <= 1024, `${n} is ${size} bytes`);
    }
  } finally {
    await sy.stop();
    await up.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

// "identifier | An identifier or list of identifiers … If a list of identifiers is provided,
// each identifier is tried in turn until one successfully assigns a logical name to the request."
Deno.test("docs protocol-h2: a list of identifiers is tried in turn", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await start(`
admin: {port: 0}
routers:
- protocol: h2
  identifier:
  - {kind: io.l5d.header.token, header: my-header}
  - {kind: io.l5d.header.path, segments: 1}
  dtab: |
    /svc/byheader => /$/inet/127.1/${up.port};
    /svc/bypath => /$/inet/127.1/${up.port};
  servers: [{port: 0}]
`);
  const url = (path: string) => `http://127.0.0.1:${sy.ports.h2![0]}${path}`;
  try {
    const first = await nghttp(["-v", "-H", "my-header: byheader", url("/bypath/x")]);
    assertEquals(echoed(first)["l5d-dst-service"], "/svc/byheader");
    const second = await nghttp(["-v", url("/bypath/x")]);
    assertEquals(echoed(second)["l5d-dst-service"], "/svc/bypath");
    // Neither names a bound service: the path one's /svc/nothing binds nowhere.
    const none = await nghttp(["-v", url("/nothing")]);
    assert(/:status: 502/.test(none) && /l5d-err:/.test(none), none);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// "Zipkin Trace Propagator … writes Zipkin B3 trace headers to outgoing requests. Processes B3
// Headers received from upstream as well."
Deno.test("docs protocol-h2: tracePropagator io.l5d.zipkin writes B3 headers and continues an incoming trace", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await start(`
admin: {port: 0}
routers:
- protocol: h2
  tracePropagator: {kind: io.l5d.zipkin}
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]
`);
  const url = `http://127.0.0.1:${sy.ports.h2![0]}/`;
  try {
    const fresh = echoed(await nghttp(["-v", "-H", ":authority: dog", url]));
    assert(
      /^[0-9a-f]{16}([0-9a-f]{16})?$/.test(fresh["x-b3-traceid"] ?? ""),
      JSON.stringify(fresh),
    );
    assert(/^[0-9a-f]{16}$/.test(fresh["x-b3-spanid"] ?? ""), JSON.stringify(fresh));
    const traceId = "463ac35c9f6413ad48485a3953bb6124";
    const spanId = "a2fb4a1d1a96d312";
    const cont = echoed(
      await nghttp([
        "-v",
        "-H",
        ":authority: dog",
        "-H",
        `x-b3-traceid: ${traceId}`,
        "-H",
        `x-b3-spanid: ${spanId}`,
        "-H",
        "x-b3-sampled: 1",
        url,
      ]),
    );
    assertEquals(cont["x-b3-traceid"], traceId, JSON.stringify(cont));
    assertEquals(cont["x-b3-parentspanid"], spanId, "the caller's span is the parent");
    assert(cont["x-b3-spanid"] !== spanId, "a span of its own");
    assertEquals(cont["x-b3-sampled"], "1");
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// HTTP/2 Server Parameters: "maxConcurrentStreamsPerConnection | 1000 | Configures
// SETTINGS_MAX_CONCURRENT_STREAMS" (Linkerd's H2Config: `.orElse(Some(1000))`), sent with no key.
Deno.test("docs protocol-h2: a server with no SETTINGS keys announces SETTINGS_MAX_CONCURRENT_STREAMS 1000", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await start(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]
`);
  try {
    const out = await nghttp([
      "-v",
      "-H",
      ":authority: dog",
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    const at = out.indexOf("recv SETTINGS frame <length=");
    const recv = out.slice(at, out.indexOf("\n[", at + 1));
    assert(recv.includes("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):1000"), out);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// The page's first example, "Authority (Host) based routing for HTTP/2 over TLS": a TLS server
// (h2 by ALPN) with caCertPath, the :authority token identifier, and client TLS whose commonName
// is the `{service}` a client prefix captures (legacy `kind: io.l5d.boundPath`, `caCertPath`). As
// written, `prefix` sits in the global client, which Linkerd 1.7 refuses (its DefaultClientImpl
// has no `prefix`; Jackson fails on the unknown property): only an io.l5d.static entry has one.
Deno.test("docs protocol-h2: the 'HTTP/2 over TLS' example routes by :authority with commonName {service}", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-h2-tls-" });
  await makeCerts(dir, { dog: "DNS:dog", linkerd: "DNS:linkerd.io" });
  const up = await startPortPeer("h2-server", `${dir}/dog.pem`, `${dir}/dog.key`);
  const disco = await fsNamerDir({ dog: `127.0.0.1 ${up.port}`, cat: `127.0.0.1 ${up.port}` });
  const example = (client: string) => `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  h2AccessLog: ${dir}/access.log
  h2AccessLogRollPolicy: daily
  h2AccessLogAppend: true
  h2AccessLogRotateCount: -1
  servers:
  - port: 0
    tls:
      certPath: ${dir}/linkerd.pem
      keyPath: ${dir}/linkerd.key
      caCertPath: ${dir}/ca.pem
  identifier:
    kind: io.l5d.header.token
    header: ":authority"
  dtab: |
    /svc => /#/io.l5d.fs ;
  client:${client}
`;
  const tls = `
      tls:
        kind: io.l5d.boundPath
        caCertPath: ${dir}/ca.pem
        commonName: "{service}"`;
  const asWritten = `${dir}/as-written.yaml`;
  await Deno.writeTextFile(
    asWritten,
    example(`\n    prefix: "/#/io.l5d.fs/{service}"${tls.replaceAll("\n  ", "\n")}`),
  );
  const checked = await runCli("check", asWritten);
  assertEquals(checked.code, 1, checked.stdout + checked.stderr);
  assert(
    (checked.stdout + checked.stderr).includes(`routers[0].client.prefix: unknown key "prefix"`),
    checked.stdout + checked.stderr,
  );
  const sy = await start(example(`
    kind: io.l5d.static
    configs:
    - prefix: "/#/io.l5d.fs/{service}"${tls}`));
  const get = (authority: string) => {
    const port = sy.ports.h2![0];
    return curl([
      "--http2",
      "--cacert",
      `${dir}/ca.pem`,
      "--resolve",
      `linkerd.io:${port}:127.0.0.1`,
      "-H",
      `Host: ${authority}`,
      "-w",
      "\nversion=%{http_version}",
      `https://linkerd.io:${port}/`,
    ]);
  };
  try {
    const r = await get("dog");
    assertEquals(r.status, 200, r.body);
    assert(r.body.includes("authority=dog"), r.body);
    assert(r.body.includes("version=2"), `ALPN negotiated h2: ${r.body}`);
    // /svc/cat's client verifies the upstream as "cat": the dog certificate fails it.
    const bad = await get("cat");
    assertEquals(bad.status, 502, bad.body);
  } finally {
    await sy.stop();
    await up.peer.kill();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(disco, { recursive: true });
  }
});
