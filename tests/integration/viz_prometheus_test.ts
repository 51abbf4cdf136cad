/**
 * deploy/viz proven end to end: a real Prometheus (Debian's /usr/bin/prometheus) scrapes a real
 * Switchyard with the relabel rules of deploy/viz/prometheus.yml, after known traffic (world:
 * 1000 requests, 1 in 10 a 500; hello: 250 requests, 1 in 25 a 404), and every PromQL
 * expression of deploy/viz/grafana/switchyard-viz.json, evaluated through Prometheus' HTTP API,
 * returns data and the expected success rates and volumes.
 *
 * Counting exactly through `rate()`: a warm-up of two requests per service creates every series
 * before Prometheus starts (so each first sample holds 1 or 2), the window is wider than the
 * series' whole life and the query time is the last scrape's timestamp. Prometheus then
 * extrapolates the start down to zero (or by less than the first sample) and not at all past the
 * end, so `rate(x[W]) * W` is the total count, give or take that first sample.
 */
import { parse, stringify } from "yaml";
import { assert, assertAlmostEquals, assertEquals } from "../support/assert.ts";
import { ROOT, type Running, startSwitchyard } from "../support/switchyard.ts";
import { eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const SCRAPE_CONFIG = `${ROOT}deploy/viz/prometheus.yml`;
const DASHBOARD = `${ROOT}deploy/viz/grafana/switchyard-viz.json`;

const WORLD_TOTAL = 1000; // the 1st, 11th, 21st… → 500
const HELLO_TOTAL = 250; // the 1st, 26th, 51st… → 404 (a success for Linkerd's classifiers)
const WARMUP = 2; // per service: one error status, one 200, so every series exists

const hasPrometheus = await Deno.stat(PROMETHEUS).then((s) => s.isFile, () => false);
if (!hasPrometheus) {
  console.log(`viz_prometheus_test: skipped, ${PROMETHEUS} is absent (Debian package prometheus)`);
}

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { readonly expr: string }[];
}
/** A panel with the row it sits under. */
type PlacedPanel = Panel & { readonly row: string };
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** Dashboard panels in order, each tagged with the title of the row above it. */
function placedPanels(dashboard: { panels: Panel[] }): PlacedPanel[] {
  let row = "";
  const out: PlacedPanel[] = [];
  for (const p of dashboard.panels) {
    if (p.type === "row") row = p.title;
    else out.push({ ...p, row });
  }
  return out;
}

/** The Grafana variables as Grafana would expand them (`All` = `.*`). */
function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$(__rate_interval|\w+)/g, (m, name: string) => vars[name] ?? m);
}

/**
 * deploy/viz/prometheus.yml's job on loopback: the same (metric) relabel rules; instead of k8s
 * discovery, the static targets it would find (Service `l5d`'s outgoing port, kept and rewritten
 * to the admin port; Service `hello`, dropped); the 9990 of the rewrite = the test's admin port.
 */
function loopbackScrapeConfig(adminPort: number, routerPort: number, decoyPort: number): string {
  const config = parse(Deno.readTextFileSync(SCRAPE_CONFIG)) as {
    scrape_configs: Record<string, unknown>[];
  };
  assertEquals(config.scrape_configs.length, 1, "one scrape job");
  const job = structuredClone(config.scrape_configs[0]!);
  assert(job.kubernetes_sd_configs, "the job uses Kubernetes service discovery");
  delete job.kubernetes_sd_configs;
  job.static_configs = [["hello", decoyPort], ["l5d", routerPort]].map(([name, port]) => ({
    targets: [`127.0.0.1:${port}`],
    labels: { __meta_kubernetes_service_name: name },
  }));
  const rules = job.relabel_configs as { replacement?: string }[];
  const rewrites = rules.filter((r) => r.replacement === "$1:9990");
  assertEquals(rewrites.length, 1, "one rule rewrites the target port to the admin port 9990");
  rewrites[0]!.replacement = `$1:${adminPort}`;
  return stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "900ms" },
    scrape_configs: [job],
  });
}

/** A running Prometheus (own process group) with a query helper. */
type Prom = Awaited<ReturnType<typeof startPrometheus>>;

async function startPrometheus(configText: string) {
  const dir = await Deno.makeTempDir({ prefix: "sy-viz-prom-" });
  await Deno.writeTextFile(`${dir}/prometheus.yml`, configText);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const startedAt = Date.now() / 1000;
  const child = new Deno.Command(PROMETHEUS, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: true, // own process group, killed as a group below
  }).spawn();
  const logs: string[] = [];
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs.push(chunk);
  })();
  const killGroup = (signal: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    killGroup("SIGTERM");
    const hard = setTimeout(() => killGroup("SIGKILL"), 10_000);
    await child.status;
    clearTimeout(hard);
    await pump;
    await Deno.remove(dir, { recursive: true });
  };
  const ready = await eventually(async () => {
    try {
      const r = await fetch(`${url}/-/ready`);
      await r.body?.cancel();
      return r.ok;
    } catch {
      return false;
    }
  }, 20_000);
  if (!ready) {
    await stop();
    throw new Error(`prometheus did not become ready:\n${logs.join("")}`);
  }
  return {
    url,
    startedAt,
    async query(expr: string, time?: number): Promise<PromSample[]> {
      const q = new URLSearchParams({ query: expr });
      if (time !== undefined) q.set("time", time.toFixed(3));
      const r = await fetch(`${url}/api/v1/query?${q}`);
      const body = await r.json();
      if (body.status !== "success") {
        throw new Error(`query failed: ${expr}: ${body.errorType}: ${body.error}`);
      }
      assertEquals(body.data.resultType, "vector", `instant vector from ${expr}`);
      return body.data.result as PromSample[];
    },
    stop,
  };
}

/** An upstream whose 1st, (n+1)th, (2n+1)th… request gets `status`; `seen()` counts them. */
function failingEvery(name: string, nth: number, status: number) {
  let seen = 0;
  const upstream = startUpstream(name, () => {
    seen++;
    return new Response(`${name} ${seen}`, { status: seen % nth === 1 ? status : 200 });
  });
  return { upstream, seen: () => seen };
}

/** One number from a query that must return exactly one sample. */
function only(samples: PromSample[], what: string): number {
  assertEquals(samples.length, 1, `${what}: one sample, got ${JSON.stringify(samples)}`);
  return Number(samples[0]!.value[1]);
}

/** Sample values keyed by one label. */
function byLabel(samples: PromSample[], label: string): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.metric[label] ?? "", Number(s.value[1])]));
}

/**
 * Send one request per entry of `hosts` (its Host header) through the proxy, `concurrency` at a
 * time; each request is bounded to 10 s and the whole run by `deadline`.
 */
async function send(
  proxy: string,
  hosts: readonly string[],
  concurrency: number,
  deadline: number,
): Promise<void> {
  using client = Deno.createHttpClient({ allowHost: true });
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      if (Date.now() > deadline) throw new Error(`traffic not sent in time (${next} sent)`);
      const host = hosts[next++]!;
      const r = await fetch(`http://${proxy}/`, {
        headers: { host },
        client,
        signal: AbortSignal.timeout(10_000),
      });
      await r.body?.cancel();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

Deno.test({
  name: "deploy/viz: Prometheus scrapes Switchyard and every dashboard query returns the truth",
  ignore: !hasPrometheus,
  async fn() {
    const { upstream: world, seen: worldSeen } = failingEvery("world", 10, 500);
    const { upstream: hello, seen: helloSeen } = failingEvery("hello", 25, 404);
    const decoy = startUpstream("decoy"); // the dropped target: never scraped
    const dir = await fsNamerDir({ world: world.fsLine, hello: hello.fsLine });
    let sy: Running | undefined;
    let prom: Prom | undefined;
    try {
      sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [{kind: io.l5d.prometheus}]
routers:
- {protocol: http, label: outgoing, dtab: "/svc => /#/io.l5d.fs;",
   servers: [{ip: 127.0.0.1, port: 0}], client: {failureAccrual: {kind: none}}}
`);
      const proxy = sy.proxy("outgoing");
      // Warm-up, one at a time: every series (5XX, 4XX, 2XX, success…) with a first value ≤ 2.
      const deadline = Date.now() + 60_000;
      await send(proxy, ["world", "world", "hello", "hello"], 1, deadline);

      prom = await startPrometheus(
        loopbackScrapeConfig(sy.adminPort, sy.ports.outgoing![0]!, decoy.port),
      );
      const p = prom;
      // Two scrapes of the warm-up, relabelled (client="world", not "#/io.l5d.fs/world").
      const warm = 'count_over_time(rt:client:status:4XX{client="hello"}[1m]) >= 2 and on() ' +
        'count_over_time(rt:client:status:5XX{client="world"}[1m]) >= 2';
      assert(await eventually(async () => (await p.query(warm)).length === 1, 20_000), "warm-up");

      // The load: world and hello interleaved until hello's share is sent, 8 in flight.
      const load = Array.from(
        { length: WORLD_TOTAL - WARMUP },
        (_, i) => i < HELLO_TOTAL - WARMUP ? ["world", "hello"] : ["world"],
      ).flat();
      await send(proxy, load, 8, deadline);
      assertEquals([worldSeen(), helloSeen()], [WORLD_TOTAL, HELLO_TOTAL], "each request once");

      // Wait for a scrape holding the final counts; its timestamp is the evaluation time.
      const total = WORLD_TOTAL + HELLO_TOTAL;
      const final = `timestamp(rt:server:requests) and on() (rt:server:requests == ${total}) ` +
        `and on() (sum(rt:client:requests) == ${total})`;
      let evalTime = 0;
      assert(
        await eventually(async () => {
          const r = await p.query(final);
          if (r.length === 1) evalTime = Number(r[0]!.value[1]);
          return r.length === 1;
        }, 20_000),
        "Prometheus scraped the final counts",
      );
      const windowSecs = Math.ceil(evalTime - p.startedAt) + 10;
      const q = (expr: string) => p.query(expr, evalTime);

      // Relabelling as in the k8s config: the decoy Service was dropped, the l5d one kept with
      // instance = the IP without the port, and client/service cut to their last segment.
      const targets = (await (await fetch(`${p.url}/api/v1/targets`)).json()).data;
      assertEquals(
        targets.activeTargets.map((t: Obj) => [t.labels.instance, t.scrapeUrl]),
        [["127.0.0.1", `${sy.admin}/admin/metrics/prometheus`]],
      );
      assert(
        targets.droppedTargets.some((t: Obj) =>
          t.discoveredLabels.__meta_kubernetes_service_name === "hello"
        ),
        "the Service not ending in l5d is dropped",
      );
      assertEquals(
        byLabel(await q('rt:service:requests{rt="outgoing"}'), "service"),
        { hello: HELLO_TOTAL, world: WORLD_TOTAL },
      );

      // The dashboard's template variables (label_values(metric, label)).
      const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
      const vars = Object.fromEntries(
        (dashboard.templating.list as { name: string; type: string; definition?: string }[])
          .filter((v) => v.type === "query")
          .map((v) => [v.name, v.definition ?? ""]),
      );
      const labelValues = async (def: string) => {
        const m = /^label_values\((.+), (\w+)\)$/.exec(def);
        assert(m, `label_values(metric, label): ${def}`);
        const series = await q(substitute(m[1]!, { router: "outgoing" }));
        return [...new Set(series.map((s) => s.metric[m[2]!]))].sort();
      };
      assertEquals(
        [await labelValues(vars.router!), await labelValues(vars.service!)],
        [["outgoing"], ["hello", "world"]],
      );
      assertEquals(await labelValues(vars.instance!), ["127.0.0.1"]);

      // Every query of every panel, with the variables Grafana would substitute.
      const panels = placedPanels(dashboard); // rows: checked by deploy_manifests_test.ts
      const all = { router: "outgoing", service: ".*", instance: ".*" };
      const contexts: { row: string; service: string; vars: Record<string, string> }[] = [
        { row: "TOP LINE", service: "*", vars: all },
        { row: "SERVICE METRICS: $service", service: "world", vars: { ...all, service: "world" } },
        { row: "SERVICE METRICS: $service", service: "hello", vars: { ...all, service: "hello" } },
        { row: "PER-INSTANCE METRICS", service: "*", vars: { ...all, instance: "127.0.0.1" } },
      ];
      const results = new Map<string, PromSample[][]>();
      for (const ctx of contexts) {
        for (const panel of panels.filter((p) => p.row === ctx.row)) {
          assert(panel.targets?.length, `${panel.title} has queries`);
          const out: PromSample[][] = [];
          for (const t of panel.targets) {
            const expr = substitute(t.expr, { ...ctx.vars, __rate_interval: `${windowSecs}s` });
            assert(!expr.includes("$"), `every variable substituted: ${expr}`);
            const r = await q(expr);
            assert(r.length > 0, `${ctx.row} / ${panel.title} [${ctx.service}]: no data: ${expr}`);
            for (const s of r) assert(Number.isFinite(Number(s.value[1])), `finite: ${expr}`);
            out.push(r);
          }
          results.set(`${ctx.row}|${ctx.service}|${panel.title}`, out);
        }
      }
      assertEquals(results.size, panels.length + 5, "every panel evaluated (service row twice)");
      const get = (row: string, service: string, title: string) => {
        const r = results.get(`${row}|${service}|${title}`);
        assert(r, `panel ${row} / ${title}`);
        return r;
      };
      const count = (perSec: number) => perSec * windowSecs; // rate over the window → count
      const success = WORLD_TOTAL * 0.9 + HELLO_TOTAL;

      // TOP LINE.
      const top = (title: string) => get("TOP LINE", "*", title);
      assertEquals(only(top("Services Monitored")[0]!, "services"), 2);
      assertEquals(only(top("Switchyard Instances")[0]!, "instances"), 1);
      assertAlmostEquals(only(top("Global Success Rate")[0]!, "sr"), success / total, 0.003);
      assertAlmostEquals(count(only(top("Global Request Volume")[0]!, "rps")), total, 2 * WARMUP);
      assertAlmostEquals(count(only(top("4XX Errors")[0]!, "4xx")), HELLO_TOTAL / 25, 1);
      assertAlmostEquals(count(only(top("5XX Errors")[0]!, "5xx")), WORLD_TOTAL / 10, 1);
      const rates = byLabel(top("Success Rates")[0]!, "client");
      assertEquals(Object.keys(rates).sort(), ["hello", "world"]);
      assertAlmostEquals(rates.world!, 0.9, 0.003);
      assertAlmostEquals(rates.hello!, 1, 1e-9);
      const volumes = byLabel(top("Request Volumes")[0]!, "client");
      assertAlmostEquals(count(volumes.world!), WORLD_TOTAL, WARMUP);
      assertAlmostEquals(count(volumes.hello!), HELLO_TOTAL, WARMUP);
      for (const series of top("Latency")) {
        assertEquals(series.length, 2, "a latency series per client");
        for (const s of series) assert(Number(s.value[1]) > 0, "latency > 0");
      }

      // SERVICE METRICS, one repeat per service.
      for (
        const [service, n, sr] of [["world", WORLD_TOTAL, 0.9], ["hello", HELLO_TOTAL, 1]] as const
      ) {
        const row = (title: string) => get("SERVICE METRICS: $service", service, title);
        const srs = byLabel(row("Success Rate")[0]!, "instance");
        assertEquals(Object.keys(srs), ["127.0.0.1"]);
        assertAlmostEquals(srs["127.0.0.1"]!, sr, 0.003);
        const vol = byLabel(row("Request Volume")[0]!, "instance");
        assertAlmostEquals(count(vol["127.0.0.1"]!), n, WARMUP);
        const [p95, p99, max] = row("Latency").map((r) => only(r, `${service} latency`));
        assert(p95! > 0 && p95! <= p99! && p99! <= max!, `p95 ≤ p99 ≤ max: ${p95} ${p99} ${max}`);
        const endpoints = byLabel(row("Endpoint Request Volume")[0]!, "endpoint");
        const port = service === "world" ? world.port : hello.port;
        assertEquals(Object.keys(endpoints), [`127.0.0.1:${port}`]);
        assertAlmostEquals(count(endpoints[`127.0.0.1:${port}`]!), n, WARMUP);
        const [size, available] = row("Load Balancer").map((r) => only(r, "lb"));
        assertEquals([size, available], [1, 1]);
      }

      // PER-INSTANCE METRICS: the server side of the one Switchyard.
      const inst = (title: string) => get("PER-INSTANCE METRICS", "*", title);
      const isr = byLabel(inst("Success Rate")[0]!, "instance");
      assertAlmostEquals(isr["127.0.0.1"]!, success / total, 0.003);
      const ivol = byLabel(inst("Request Volume")[0]!, "instance");
      assertAlmostEquals(count(ivol["127.0.0.1"]!), total, 2 * WARMUP);
      for (const series of inst("Latency")) {
        assertEquals(Object.keys(byLabel(series, "instance")), ["127.0.0.1"]);
      }
    } finally {
      await prom?.stop();
      await sy?.stop();
      await Promise.all([world.close(), hello.close(), decoy.close()]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
