/**
 * Cost of recording one request in the metrics: the handles a stack level resolves once
 * (`scopeStats`), per request `begin()`/`endSuccess()` on the four levels a proxied request
 * touches (server, service, client, endpoint), and the stats filter wrapped around a resolved
 * service. `telemetry/metrics/registry_bench.ts` has the per-primitive numbers.
 *
 * Run: `deno bench bench/micro/metrics_bench.ts`
 *
 * @module
 */
import {
  clientScope,
  createRegistry,
  endpointScope,
  scopeStats,
  serverScope,
  serviceScope,
} from "../../telemetry/metrics/mod.ts";
import { statsFilter } from "../../telemetry/stats_filter.ts";
import { Ctx } from "../../router/core/ctx.ts";

const registry = createRegistry();
const server = scopeStats(registry, serverScope("outgoing", "127.0.0.1", 4140));
const service = scopeStats(registry, serviceScope("outgoing", "/svc/web"));
const client = scopeStats(registry, clientScope("outgoing", "/#/io.l5d.fs/web"));
const endpoint = scopeStats(
  registry,
  endpointScope("outgoing", "/#/io.l5d.fs/web", "127.0.0.1:8080"),
);

Deno.bench({
  name: "scopeStats().begin() + endSuccess(200), one level",
  group: "metrics",
  baseline: true,
}, () => {
  service.endSuccess(service.begin(), 200);
});
Deno.bench({
  name: "scopeStats() begin/endSuccess on 4 levels (one proxied request)",
  group: "metrics",
}, () => {
  const t0 = server.begin();
  const t1 = service.begin();
  const t2 = client.begin();
  const t3 = endpoint.begin();
  endpoint.endSuccess(t3, 200);
  client.endSuccess(t2, 200);
  service.endSuccess(t1, 200);
  server.endSuccess(t0, 200);
});
Deno.bench({ name: "scopeStats().recordFailure(ms, 502, reason)", group: "metrics" }, () => {
  client.recordFailure(1.5, 502, "ConnectFailed");
});

const rsp = new Response("ok");
const resolved = Promise.resolve(rsp);
const filter = statsFilter(service, (_q, _c, r) => r !== undefined && r.status < 500, {
  mono: () => performance.now(),
});
const req = new Request("http://web/");
const url = new URL("http://web/");
const ctx = new Ctx({
  url,
  router: "outgoing",
  signal: new AbortController().signal,
  startMs: 0,
  host: "web",
  target: "/",
});
const next = () => resolved;
Deno.bench(
  { name: "await resolved service (no filter)", group: "stats filter", baseline: true },
  async () => {
    await next();
  },
);
Deno.bench(
  { name: "await statsFilter() around a resolved service", group: "stats filter" },
  async () => {
    ctx.endedWith = undefined; // a new outcome each time: the filter reads the clock
    await filter(req, ctx, next);
  },
);
