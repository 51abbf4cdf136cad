import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import {
  clientScope,
  clientServiceScope,
  createRegistry,
  endpointScope,
  scopeStats,
  serverScope,
  serviceScope,
} from "../../metrics/mod.ts";
import { summarize } from "./summary.ts";

const CLIENT = "/#/io.l5d.fs/world";

function traffic() {
  const clock = new FakeClock();
  const registry = createRegistry({ clock, processStats: false });
  const server = scopeStats(registry, serverScope("outgoing", "127.0.0.1", 4140));
  const other = scopeStats(registry, serverScope("incoming", "127.0.0.1", 4141));
  const service = scopeStats(registry, serviceScope("outgoing", "/svc/world"));
  const client = scopeStats(registry, clientScope("outgoing", CLIENT));
  const endpoint = scopeStats(registry, endpointScope("outgoing", CLIENT, "127.0.0.1:7778"));
  for (let i = 0; i < 10; i++) {
    for (const s of [server, service, client, endpoint]) {
      if (i < 8) s.recordSuccess(4, 200);
      else s.recordFailure(4, 503, "ConnectFailed");
    }
  }
  other.recordSuccess(2, 404);
  registry.counter(serviceScope("outgoing", "/svc/world"), "retries/total").incr(3);
  registry.gauge(clientScope("outgoing", CLIENT), "loadbalancer/size", () => 2);
  registry.gauge(clientScope("outgoing", CLIENT), "loadbalancer/available", () => 1);
  registry.gauge(endpointScope("outgoing", CLIENT, "127.0.0.1:7778"), "outstanding", () => 5);
  registry.gauge(
    endpointScope("outgoing", CLIENT, "127.0.0.1:7778"),
    "failure_accrual/dead",
    () => 1,
  );
  registry.gauge(endpointScope("outgoing", CLIENT, "127.0.0.1:7779"), "broken", () => {
    throw new Error("gone");
  });
  return { clock, registry };
}

Deno.test("summarize() groups scopes per router: servers, services, clients, endpoints", () => {
  const s = summarize(traffic().registry);
  assertEquals(s.routers.map((r) => r.label), ["outgoing", "incoming"]);
  const out = s.routers[0]!;
  assertEquals(out.servers.map((x) => x.addr), ["127.0.0.1/4140"]);
  assertEquals(out.servers[0]!.m.requests, 10);
  assertEquals(out.servers[0]!.m["status/5XX"], 2);
  const svc = out.services[0]!;
  assertEquals(svc.name, "svc/world");
  assertEquals(svc.m.requests, 10);
  assertEquals(svc.m.success, 8);
  assertEquals(svc.m["retries/total"], 3);
  assertEquals(svc.lat?.count, 10);
  assertEquals(svc.lat?.p99, 4);
  const client = out.clients[0]!;
  assertEquals(client.id, "#/io.l5d.fs/world");
  assertEquals(client.m["failures/ConnectFailed"], 2);
  assertEquals(client.m["loadbalancer/size"], 2);
  assertEquals(client.m["loadbalancer/available"], 1);
  const ep = client.endpoints.find((e) => e.addr === "127.0.0.1:7778")!;
  assertEquals(ep.m.requests, 10);
  assertEquals(ep.m.outstanding, 5);
  assertEquals(ep.m["failure_accrual/dead"], 1);
  // A computed gauge that throws is left out; its endpoint is still listed.
  const broken = client.endpoints.find((e) => e.addr === "127.0.0.1:7779")!;
  assertEquals(broken.m, {});
  assertEquals(broken.lat, undefined);
});

Deno.test("summarize() totals the TOP LINE over every listener", () => {
  const { top } = summarize(traffic().registry);
  assertEquals(top.requests, 11);
  assertEquals(top.success, 9);
  assertEquals(top.failures, 2);
  assertEquals(top.status4XX, 1);
  assertEquals(top.status5XX, 2);
  assertEquals(top.lat.count, 11);
  assert(top.lat.p50 >= 2 && top.lat.p50 <= 4, `p50 ${top.lat.p50}`);
  assertEquals(top.lat.max, 4);
});

Deno.test("summarize() leaves out routers not serving (a reload removed them)", () => {
  const s = summarize(traffic().registry, new Map([["outgoing", undefined]]));
  assertEquals(s.routers.map((r) => r.label), ["outgoing"]);
  assertEquals(s.top.requests, 10);
  assertEquals(s.top.status4XX, 0);
});

Deno.test("summarize() leaves out listeners not open (a reload moved them)", () => {
  const { registry } = traffic();
  scopeStats(registry, serverScope("outgoing", "127.0.0.1", 4150)).recordSuccess(1, 200);
  const live = new Map([["outgoing", new Set(["127.0.0.1/4150"])], ["incoming", undefined]]);
  const s = summarize(registry, live);
  assertEquals(s.routers[0]!.servers.map((x) => x.addr), ["127.0.0.1/4150"]);
  assertEquals(s.routers[1]!.servers.map((x) => x.addr), ["127.0.0.1/4141"]);
  assertEquals(s.top.requests, 2);
  // The moved router's services and clients stay: they are the router's, not the listener's.
  assertEquals(s.routers[0]!.services.map((x) => x.name), ["svc/world"]);
});

Deno.test("summarize() links services to clients through client×service scopes", () => {
  const { registry } = traffic();
  scopeStats(registry, clientServiceScope("outgoing", CLIENT, "/svc/world")).recordSuccess(1, 200);
  scopeStats(registry, clientServiceScope("outgoing", "/#/io.l5d.fs/w2", "/svc/world"));
  const out = summarize(registry).routers[0]!;
  assertEquals(out.services[0]!.clients, ["#/io.l5d.fs/w2", "#/io.l5d.fs/world"]);
  assertEquals(out.clients.map((c) => c.id), ["#/io.l5d.fs/w2", "#/io.l5d.fs/world"]);
  // The client's own counters are not mixed with its per-service split.
  assertEquals(out.clients[1]!.m.requests, 10);
});

Deno.test("summarize() reports process and switchyard gauges and the registry's clock", () => {
  const clock = new FakeClock();
  const registry = createRegistry({ clock });
  registry.counter(["switchyard"], "config_reloads").incr(2);
  clock.advance(1500);
  const s = summarize(registry);
  assertEquals(s.t, clock.mono());
  assertEquals(s.process.uptime, clock.mono());
  assert((s.process.rss_bytes ?? 0) > 0, "rss");
  assertEquals(s.switchyard, { config_reloads: 2 });
  assertEquals(s.routers, []);
  assertEquals(s.top.requests, 0);
  assertEquals(s.top.lat, { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
});
