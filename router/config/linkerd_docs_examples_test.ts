/**
 * The example configs of Linkerd's `linkerd/docs/namer.md`, `transformer.md` and
 * `client_tls.md`, as written there (a `routers` entry added where a page shows only a
 * fragment), must load; what those pages mark _required_ must be refused when missing.
 */
import { assertEquals } from "../../tests/support/assert.ts";
import { formatIssue, parseConfig } from "./mod.ts";
import type { Config } from "./schema.ts";

function ok(text: string): Config {
  const r = parseConfig(text, "t.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join("\n"));
  return r.config;
}

function lines(text: string): string[] {
  const r = parseConfig(text, "t.yaml");
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.errors.map(formatIssue);
}

const ROUTER =
  "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.fs;\n  servers: [{port: 0}]\n";

Deno.test("namer.md examples: fs, k8s, k8s.external, k8s.ns, dnssrv and rewrite namers load", () => {
  const namersOf = (namers: string) => ok(namers + ROUTER).namers;
  assertEquals(
    namersOf("namers:\n- kind: io.l5d.fs\n  prefix: /disco\n  rootDir: disco\n")[0]?.prefix,
    "/disco",
  );
  assertEquals(namersOf("namers:\n- kind: io.l5d.fs\n  rootDir: disco\n")[0]?.prefix, "/io.l5d.fs");
  assertEquals(
    namersOf(
      "namers:\n- kind: io.l5d.k8s\n  host: localhost\n  port: 8001\n  labelSelector: version\n",
    )[0]?.prefix,
    "/io.l5d.k8s",
  );
  assertEquals(
    namersOf(
      "namers:\n- kind: io.l5d.k8s.external\n  experimental: true\n  host: localhost\n" +
        "  port: 8001\n  labelSelector: version\n",
    )[0]?.prefix,
    "/io.l5d.k8s.external",
  );
  assertEquals(
    namersOf(
      "namers:\n- kind: io.l5d.k8s.ns\n  host: localhost\n  port: 8001\n" +
        "  envVar: MY_POD_NAMESPACE\n",
    )[0]?.prefix,
    "/io.l5d.k8s.ns",
  );
  assertEquals(
    namersOf(
      "namers:\n- kind: io.l5d.dnssrv\n  experimental: true\n  refreshIntervalSeconds: 5\n" +
        "  dnsHosts:\n  - ns0.example.org\n  - ns1.example.org\n",
    )[0]?.prefix,
    "/io.l5d.dnssrv",
  );
  assertEquals(
    namersOf(
      'namers:\n- kind: io.l5d.rewrite\n  prefix: /rewrite\n  pattern: "/{service}/api"\n' +
        '  name: "/srv/{service}"\n',
    )[0]?.prefix,
    "/rewrite",
  );
});

Deno.test("namer.md 'Rewrite Configuration': io.l5d.rewrite without a prefix is refused, as Linkerd's RewritingNamerConfig", () => {
  assertEquals(
    lines(
      'namers:\n- kind: io.l5d.rewrite\n  pattern: "/{service}/api"\n  name: "/srv/{service}"\n' +
        ROUTER,
    ),
    ["t.yaml:2:3: namers[0].prefix: The 'prefix' property is required for the io.l5d.rewrite namer."],
  );
});

Deno.test("transformer.md: every transformer kind loads in interpreter.transformers", () => {
  const config = ok(`routers:
- protocol: http
  dtab: /svc => /$/inet/127.1/8080;
  interpreter:
    kind: default
    transformers:
    - kind: io.l5d.localhost
    - kind: io.l5d.specificHost
      host: 127.0.0.1
    - kind: io.l5d.port
      port: 4141
    - kind: io.l5d.k8s.daemonset
      k8sHost: localhost
      k8sPort: 8001
      namespace: default
      service: l5d
      port: incoming
      hostNetwork: true
    - kind: io.l5d.k8s.localnode
      hostNetwork: false
    - kind: io.l5d.replace
      path: /$/inet/127.1/8080
    - kind: io.l5d.const
      path: /$/inet/127.1/8080
  servers: [{port: 0}]
`);
  assertEquals(config.routers[0]?.interpreter.transformers.map((t) => t.kind), [
    "io.l5d.localhost",
    "io.l5d.specificHost",
    "io.l5d.port",
    "io.l5d.k8s.daemonset",
    "io.l5d.k8s.localnode",
    "io.l5d.replace",
    "io.l5d.const",
  ]);
});

Deno.test("client_tls.md examples load, the transformer prefix with its trailing /", () => {
  const clientOf = (client: string) =>
    ok(`routers:\n- protocol: http\n  servers: [{port: 0}]\n  client:\n${client}`);
  clientOf(`    tls:
      commonName: linkerd.io
      trustCertsBundle: /certificates/cacert.pem
      clientAuth:
        certPath: /certificates/cert.pem
        keyPath: /certificates/key.pem
      protocols:
      - TLSv1.2
`);
  clientOf(`    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/{service}
      tls:
        commonName: "{service}.linkerd.io"
        trustCerts:
        - /certificates/cacert.pem
        clientAuth:
          certPath: /certificates/cert.pem
          keyPath: /certificates/key.pem
        protocols:
        - TLSv1.2          
`);
  const c = clientOf(`    kind: io.l5d.static
    configs:
    - prefix: /%/io.l5d.port/4141/#/io.l5d.fs/
      tls:
        commonName: "linkerd.io"
        trustCerts:
        - /certificates/cacert.pem
        clientAuth:
          certPath: /certificates/cert.pem
          keyPath: /certificates/key.pem
`).routers[0]?.client;
  assertEquals(
    c && "configs" in c ? c.configs.map((x) => x.prefix) : [],
    ["/%/io.l5d.port/4141/#/io.l5d.fs/"],
  );
});

Deno.test("client_tls.md 'Server TLS': the example loads, and the table's enabled key (default true; false = no TLS)", () => {
  const serverTls = (extra: string) =>
    ok(`routers:
- protocol: http
  servers:
  - port: 4140
    # accept incoming TLS traffic from remote Linkerd
    tls:
${extra}      certPath: /certificates/certificate.pem
      keyPath: /certificates/key.pem
  dtab: |
    /http => /$/inet/127.1/8080;
`).routers[0]?.servers[0]?.tls;
  assertEquals(serverTls("")?.certPath, "/certificates/certificate.pem");
  assertEquals(serverTls("      enabled: true\n")?.keyPath, "/certificates/key.pem");
  assertEquals(serverTls("      enabled: false\n"), undefined);
  assertEquals(
    ok(`admin:\n  tls:\n    enabled: false\n    certPath: c.pem\n    keyPath: k.pem\n${ROUTER}`)
      .admin
      .tls,
    undefined,
  );
});
