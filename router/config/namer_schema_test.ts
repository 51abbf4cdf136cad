import { assert, assertEquals } from "../../tests/support/assert.ts";
import { formatIssue, parseConfig } from "./mod.ts";

/** The linkerd-examples k8s-daemonset config (`k8s-daemonset/k8s/linkerd.yml`), trimmed. */
const DAEMONSET = `
admin: {ip: 0.0.0.0, port: 9990}
namers:
- kind: io.l5d.k8s
  host: localhost
  port: 8001
routers:
- protocol: http
  label: outgoing
  dtab: |
    /srv        => /#/io.l5d.k8s/default/http;
    /host       => /srv;
    /svc        => /host;
    /host/world => /srv/world-v1;
  interpreter:
    kind: default
    transformers:
    - kind: io.l5d.k8s.daemonset
      namespace: default
      port: incoming
      service: l5d
  servers: [{port: 4140, ip: 0.0.0.0}]
- protocol: http
  label: incoming
  dtab: |
    /srv => /#/io.l5d.k8s/default/http;
  interpreter:
    kind: default
    transformers:
    - kind: io.l5d.k8s.localnode
  servers: [{port: 4141, ip: 0.0.0.0}]
`;

function errors(text: string): string[] {
  const r = parseConfig(text, "t.yaml");
  return r.ok ? [] : r.errors.map(formatIssue);
}

Deno.test("namerSchema accepts the k8s daemonset config with its transformers", () => {
  const r = parseConfig(DAEMONSET, "t.yaml");
  assert(r.ok, errors(DAEMONSET).join("\n"));
  assertEquals(r.config.namers[0], {
    kind: "io.l5d.k8s",
    prefix: "/io.l5d.k8s",
    host: "localhost",
    port: 8001,
    transformers: [],
  });
  assertEquals(r.config.routers[0]?.interpreter.transformers, [
    { kind: "io.l5d.k8s.daemonset", namespace: "default", port: "incoming", service: "l5d" },
  ]);
  assertEquals(r.config.routers[1]?.interpreter.transformers, [{ kind: "io.l5d.k8s.localnode" }]);
});

Deno.test("namerSchema accepts io.l5d.k8s.ns, io.l5d.dnssrv and namer-level transformers", () => {
  const text = `
namers:
- kind: io.l5d.k8s.ns
  envVar: MY_NS
  labelSelector: version
- kind: io.l5d.dnssrv
  experimental: true
  refreshIntervalSeconds: 10
  domain: srv.dc-1.example.org
  dnsHosts: [127.0.0.1]
- kind: io.l5d.k8s
  prefix: /io.l5d.k8s.ds
  useServiceAccount: true
  transformers:
  - {kind: io.l5d.k8s.daemonset, namespace: linkerd, port: http-incoming, service: l5d, hostNetwork: true}
routers:
- protocol: http
  servers: [{port: 0}]
`;
  const r = parseConfig(text, "t.yaml");
  assert(r.ok, errors(text).join("\n"));
  assertEquals(r.config.namers.map((n) => n.prefix), [
    "/io.l5d.k8s.ns",
    "/io.l5d.dnssrv",
    "/io.l5d.k8s.ds",
  ]);
});

Deno.test("namerSchema reports bad k8s, dnssrv and transformer entries with their line", () => {
  const cases: [string, string][] = [
    [
      "namers:\n- kind: io.l5d.dnssrv\nrouters:\n- protocol: http\n  servers: [{port: 0}]\n",
      "namers[0].experimental: io.l5d.dnssrv is experimental; set experimental: true",
    ],
    [
      "namers:\n- kind: io.l5d.k8s\n  hots: x\nrouters:\n- protocol: http\n  servers: [{port: 0}]\n",
      'namers[0].hots: unknown key "hots"',
    ],
    [
      "routers:\n- protocol: http\n  interpreter:\n    transformers:\n    - kind: io.l5d.k8s.daemonset\n      namespace: default\n      port: incoming\n  servers: [{port: 0}]\n",
      "routers[0].interpreter.transformers[0].service: required key is missing",
    ],
    [
      "routers:\n- protocol: http\n  interpreter:\n    transformers:\n    - kind: io.l5d.filter\n      path: /x\n  servers: [{port: 0}]\n",
      'routers[0].interpreter.transformers[0].kind: unknown transformer kind "io.l5d.filter" (supported transformer kinds: io.l5d.k8s.daemonset, io.l5d.k8s.localnode, io.l5d.port, io.l5d.localhost, io.l5d.specificHost, io.l5d.replace, io.l5d.const)',
    ],
  ];
  for (const [text, want] of cases) {
    const got = errors(text);
    assert(got.some((e) => e.includes(want)), `${want}\n  not in\n${got.join("\n")}`);
  }
});
