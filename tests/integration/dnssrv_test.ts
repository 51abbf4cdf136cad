/**
 * Black-box tests of the `io.l5d.dnssrv` namer (Linkerd's `linkerd/docs/namer.md`, source
 * `namer/dnssrv/.../DnsSrvNamer.scala`): the real process asks a real DNS server, Debian's
 * dnsmasq on loopback, and real curl traffic reaches the SRV targets.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { type Dnsmasq, dnsmasqPath, startDnsmasq } from "../support/dnsmasq.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

const ignore = dnsmasqPath() === undefined;
if (ignore) {
  console.warn("dnssrv_test: skipped, dnsmasq is not installed (apt-get install dnsmasq-base)");
}

const RECORD = "_http._tcp.web.test";

function config(dns: Dnsmasq, dtab: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.dnssrv
  experimental: true
  refreshIntervalSeconds: 1
  dnsHosts: [127.0.0.1:${dns.port}]
routers:
- protocol: http
  dtab: |
    ${dtab}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

/** The SRV record `_http._tcp.web.test` pointing at `targets` (name → port), all on 127.0.0.1. */
function records(targets: Record<string, number>): string[] {
  return [
    "local=/test/",
    ...Object.entries(targets).flatMap(([name, port]) => [
      `srv-host=${RECORD},${name}.web.test,${port}`,
      `host-record=${name}.web.test,127.0.0.1`,
    ]),
  ];
}

async function send(proxy: string, host: string, n = 1): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await curl(["-H", `Host: ${host}`, `http://${proxy}/`]);
    names.push(r.status === 200 ? JSON.parse(r.body).name : `${r.status}`);
  }
  return names;
}

// deno-lint-ignore no-explicit-any
async function delegator(admin: string, path: string): Promise<any> {
  const r = await curl([`${admin}/delegator.json?namespace=http&path=${path}`]);
  assertEquals(r.status, 200, r.body);
  return JSON.parse(r.body);
}

// deno-lint-ignore no-explicit-any
function boundPorts(tree: any): number[] {
  return tree.delegate.bound.addr.addrs.map((x: { port: number }) => x.port).sort();
}

Deno.test({
  name: "dnssrv: a SRV record binds its targets' addresses and ports, and traffic reaches each",
  ignore,
  async fn() {
    const a = startUpstream("a");
    const b = startUpstream("b");
    const dns = await startDnsmasq(records({ a: a.port, b: b.port }));
    const sy = await startSwitchyard(config(dns, "/svc/web => /#/io.l5d.dnssrv/" + RECORD + ";"));
    try {
      const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200, r.body);
      const seen = new Set(await send(sy.proxy(), "web", 20));
      assertEquals([...seen].sort(), ["a", "b"]);
      const hdr = a.seen.concat(b.seen)[0]!.headers;
      assertEquals(hdr["l5d-dst-client"], `/#/io.l5d.dnssrv/${RECORD}`);
      // The delegator shows the leaf bound to the SRV targets' address and port.
      const d = await delegator(sy.admin, "/svc/web");
      assertEquals(d.delegate.type, "leaf");
      assertEquals(d.delegate.bound.id, `/#/io.l5d.dnssrv/${RECORD}`);
      assertEquals(d.delegate.bound.addr.type, "bound");
      assertEquals(boundPorts(d), [a.port, b.port].sort());
      assert(d.delegate.bound.addr.addrs.every((x: { ip: string }) => x.ip === "127.0.0.1"));
    } finally {
      await sy.stop();
      await dns.stop();
      await a.close();
      await b.close();
    }
  },
});

Deno.test({
  name:
    "dnssrv: the last good endpoints serve while DNS is down; a changed record applies at refresh",
  ignore,
  async fn() {
    const a = startUpstream("a");
    const b = startUpstream("b");
    const c = startUpstream("c");
    const dns = await startDnsmasq(records({ a: a.port, b: b.port }));
    const sy = await startSwitchyard(config(dns, "/svc/web => /#/io.l5d.dnssrv/" + RECORD + ";"));
    try {
      const first = (await send(sy.proxy(), "web"))[0];
      assert(first === "a" || first === "b", `bound before DNS goes down: ${first}`);
      // DnsSrvNamer.scala: a failed lookup after the first answer leaves the state as it was.
      await dns.stop();
      await new Promise((r) => setTimeout(r, 3000)); // three refresh intervals without DNS
      const down = await send(sy.proxy(), "web", 10);
      assert(down.every((n) => n === "a" || n === "b"), `served from the last answer: ${down}`);
      assertEquals(boundPorts(await delegator(sy.admin, "/svc/web")), [a.port, b.port].sort());
      // The record now points at a and c: picked up within a refresh or two.
      await dns.restart(records({ a: a.port, c: c.port }));
      assert(
        await eventually(async () =>
          boundPorts(await delegator(sy.admin, "/svc/web")).join() ===
            [a.port, c.port].sort().join(), 8000),
        "the new SRV targets are bound",
      );
      const before = b.seen.length;
      const after = new Set(await send(sy.proxy(), "web", 20));
      assertEquals([...after].sort(), ["a", "c"]);
      assertEquals(b.seen.length, before, "the dropped target gets no more requests");
      // The record is gone (NXDOMAIN): the name is Neg, as in Linkerd, not kept.
      await dns.restart(["local=/test/"]);
      assert(
        await eventually(
          async () => (await delegator(sy.admin, "/svc/web")).delegate.type === "neg",
          8000,
        ),
        "an NXDOMAIN record is Neg",
      );
      const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 502);
      assertStringIncludes(r.body, "No hosts are available for /svc/web");
    } finally {
      await sy.stop();
      await dns.stop();
      await a.close();
      await b.close();
      await c.close();
    }
  },
});

Deno.test({
  name:
    "dnssrv: an NXDOMAIN record is Neg: 502 No hosts, or the dtab falls back to the next branch",
  ignore,
  async fn() {
    const a = startUpstream("a");
    const fallback = startUpstream("fallback");
    const dns = await startDnsmasq(records({ a: a.port }));
    const nx = "/#/io.l5d.dnssrv/_http._tcp.nx.test";
    const inet = `/$/inet/127.0.0.1/${fallback.port}`;
    const sy = await startSwitchyard(config(
      dns,
      `/svc/nx => ${nx}; /svc/alt => ${nx} | ${inet}; /svc/up => ${inet}; /svc/up => ${nx};`,
    ));
    try {
      const r = await curl(["-H", "Host: nx", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 502);
      assertStringIncludes(
        decodeURIComponent(
          (r.headers.get("l5d-err") ?? "").replaceAll("+", " "),
        ),
        "No hosts are available for /svc/nx, Dtab.base=[",
      );
      const d = await delegator(sy.admin, "/svc/nx");
      assertEquals([d.delegate.type, d.delegate.path], [
        "neg",
        "/#/io.l5d.dnssrv/_http._tcp.nx.test",
      ]);
      // Neg falls through: to the next alternative, and to the dentry above.
      assertEquals(await send(sy.proxy(), "alt"), ["fallback"]);
      assertEquals(await send(sy.proxy(), "up"), ["fallback"]);
      assertEquals(a.seen.length, 0);
    } finally {
      await sy.stop();
      await dns.stop();
      await a.close();
      await fallback.close();
    }
  },
});
