/**
 * `/admin/metrics.json`, as Linkerd 1's AdminMetricsExportTelemeter serves it (linkerd1.md §6):
 *
 * - flat (default): `{"rt/outgoing/service/svc/world/requests": 12, …}`; a histogram gives
 *   `<key>.count` always and, when its window is not empty, `.max .min .p50 .p90 .p95 .p99 .p9990
 *   .p9999 .sum .avg` (the window's values; counters and gauges are live);
 * - `?tree=1`: nested objects, one per element, a metric's value under `counter`, `gauge` or
 *   `stat.<field>`;
 * - `?q=rt/outgoing`: only that subtree, keys relative to it (Linkerd's behaviour); unknown → 404
 *   `{"error": "No such subtree: …"}`. Elements that contain `/` (service paths, client ids,
 *   `ip/port`) are matched whole, so `?q=rt/outgoing/service/svc/world` works;
 * - `?pretty=1`: keys sorted, indented.
 *
 * Histogram values are rounded to µs (3 decimals).
 *
 * @module
 */
import type { MetricEntry, MetricsRegistry } from "./registry.ts";

/** Query options of `/admin/metrics.json`. */
export interface MetricsJsonOptions {
  /** Nested tree instead of flat keys. */
  readonly tree?: boolean;
  /** Subtree prefix, e.g. `rt/outgoing/client`. */
  readonly q?: string;
  /** Sort keys and indent. */
  readonly pretty?: boolean;
}

/** Flat metrics.json: key → value. */
export type FlatMetrics = Record<string, number>;

/** Tree metrics.json: element → subtree, or `counter`/`gauge`/`stat.<field>` → value. */
export interface MetricsTreeJson {
  [name: string]: number | MetricsTreeJson;
}

/** A rendered metrics.json body and its status. */
export interface MetricsJsonResult {
  /** 200, or 404 when `q` names no subtree. */
  readonly status: 200 | 404;
  /** JSON text. */
  readonly body: string;
}

interface Node {
  entry: MetricEntry | undefined;
  readonly children: Map<string, Node>;
}

/**
 * The flat metrics map, optionally of a subtree (keys relative to it).
 *
 * @param registry The registry.
 * @param q Subtree prefix, or undefined for everything.
 * @returns The map, or undefined when `q` names no subtree.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { flatMetrics } from "./metrics_json.ts";
 * const registry = createRegistry({ processStats: false });
 * registry.counter(["rt", "outgoing", "service", "svc/world"], "requests").incr();
 * flatMetrics(registry); // { "rt/outgoing/service/svc/world/requests": 1 }
 * ```
 */
export function flatMetrics(registry: MetricsRegistry, q?: string): FlatMetrics | undefined {
  const out: FlatMetrics = {};
  if (q === undefined || trimSlashes(q) === "") {
    for (const e of registry.entries()) writeFlat(out, e.key, e);
    return out;
  }
  const node = resolve(buildTree(registry, q), q);
  if (node === undefined) return undefined;
  flatten(node, "", out);
  return out;
}

/**
 * The nested metrics tree, optionally of a subtree.
 *
 * @param registry The registry.
 * @param q Subtree prefix, or undefined for everything.
 * @returns The tree, or undefined when `q` names no subtree.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { treeMetrics } from "./metrics_json.ts";
 * const registry = createRegistry({ processStats: false });
 * registry.counter(["rt", "outgoing", "service", "svc/world"], "requests").incr();
 * treeMetrics(registry); // { rt: { outgoing: { service: { "svc/world": { requests: { counter: 1 } } } } } }
 * ```
 */
export function treeMetrics(registry: MetricsRegistry, q?: string): MetricsTreeJson | undefined {
  const root = buildTree(registry, q);
  const node = q === undefined ? root : resolve(root, q);
  return node === undefined ? undefined : toTreeJson(node);
}

/**
 * Renders `/admin/metrics.json` for the given options.
 *
 * @param registry The registry.
 * @param options tree / q / pretty.
 * @returns Status and JSON body.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { renderMetricsJson } from "./metrics_json.ts";
 * const { status, body } = renderMetricsJson(createRegistry(), { pretty: true });
 * ```
 */
export function renderMetricsJson(
  registry: MetricsRegistry,
  options: MetricsJsonOptions = {},
): MetricsJsonResult {
  const value = options.tree ? treeMetrics(registry, options.q) : flatMetrics(registry, options.q);
  if (value === undefined) {
    return { status: 404, body: JSON.stringify({ error: `No such subtree: ${options.q}` }) };
  }
  if (!options.pretty) return { status: 200, body: JSON.stringify(value) };
  return { status: 200, body: JSON.stringify(sortKeys(value), null, 2) };
}

/**
 * Reads `tree`, `q` and `pretty` from a query string (`1`, `true` or a bare flag mean true).
 *
 * @param params The URL's search params.
 * @returns The options.
 * @example
 * ```ts
 * import { metricsJsonOptions } from "./metrics_json.ts";
 * metricsJsonOptions(new URLSearchParams("tree=1&q=rt/outgoing")); // { tree: true, q: "rt/outgoing", pretty: false }
 * ```
 */
export function metricsJsonOptions(params: URLSearchParams): MetricsJsonOptions {
  const flag = (name: string) => {
    const v = params.get(name);
    return v !== null && (v === "" || v === "1" || v.toLowerCase() === "true");
  };
  const q = params.get("q");
  return q === null
    ? { tree: flag("tree"), pretty: flag("pretty") }
    : { tree: flag("tree"), q, pretty: flag("pretty") };
}

/**
 * The `/admin/metrics.json` response for a request URL.
 *
 * @param registry The registry.
 * @param url The request URL (its query selects tree / q / pretty).
 * @returns A JSON response, 200 or 404.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { metricsJsonResponse } from "./metrics_json.ts";
 * const res = metricsJsonResponse(createRegistry(), new URL("http://l5d/admin/metrics.json?pretty=1"));
 * ```
 */
export function metricsJsonResponse(registry: MetricsRegistry, url: URL): Response {
  const options = metricsJsonOptions(url.searchParams);
  const headers = { "content-type": "application/json; charset=utf-8" };
  if (
    !options.tree && !options.pretty && (options.q === undefined || trimSlashes(options.q) === "")
  ) {
    return new Response(flatMetricsStream(registry), { status: 200, headers });
  }
  const { status, body } = renderMetricsJson(registry, options);
  return new Response(body, { status, headers });
}

function writeFlat(out: FlatMetrics, key: string, e: MetricEntry): void {
  flatPairs(key, e, (k, v) => {
    out[k] = v;
  });
}

/** The flat `key → value` pairs of one metric (a histogram's expand to `key.count`, …), in order. */
function flatPairs(key: string, e: MetricEntry, emit: (k: string, v: number) => void): void {
  const m = e.metric;
  if (m.kind !== "histogram") {
    const v = read(m);
    if (v !== undefined) emit(key, v);
    return;
  }
  const s = m.snapshot();
  emit(`${key}.count`, s.count);
  if (s.count === 0) return;
  emit(`${key}.max`, round(s.max));
  emit(`${key}.min`, round(s.min));
  emit(`${key}.p50`, round(s.p50));
  emit(`${key}.p90`, round(s.p90));
  emit(`${key}.p95`, round(s.p95));
  emit(`${key}.p99`, round(s.p99));
  emit(`${key}.p9990`, round(s.p9990));
  emit(`${key}.p9999`, round(s.p9999));
  emit(`${key}.sum`, round(s.sum));
  emit(`${key}.avg`, round(s.avg));
}

/** Bytes of JSON text a streamed `/admin/metrics.json` renders per chunk. */
const STREAM_CHUNK = 64 * 1024;

/**
 * The whole flat `/admin/metrics.json` (no `q`, `tree` or `pretty`) as a stream, rendered as it is
 * read: the same text as `JSON.stringify(flatMetrics(registry))` (the registry's keys are unique),
 * without first building an object of every key and then one string of it. With 1000 services
 * × 10 endpoints that body is ~22 MB, and building it raised RSS by 50–90 MiB per request until
 * the next collection (issue 6).
 *
 * @param registry The registry.
 * @returns The JSON text, in chunks of ~64 KiB.
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import { flatMetricsStream } from "./metrics_json.ts";
 * const text = await new Response(flatMetricsStream(createRegistry())).text();
 * ```
 */
export function flatMetricsStream(registry: MetricsRegistry): ReadableStream<Uint8Array> {
  const it = registry.entries();
  const enc = new TextEncoder();
  let text = "{";
  let first = true;
  const emit = (k: string, v: number) => {
    text += `${first ? "" : ","}${JSON.stringify(k)}:${JSON.stringify(v)}`;
    first = false;
  };
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      for (;;) {
        const n = it.next();
        if (n.done) {
          ctrl.enqueue(enc.encode(text + "}"));
          ctrl.close();
          return;
        }
        flatPairs(n.value.key, n.value, emit);
        if (text.length >= STREAM_CHUNK) break;
      }
      ctrl.enqueue(enc.encode(text));
      text = "";
    },
  }, { highWaterMark: 0 });
}

function toTreeJson(node: Node): MetricsTreeJson {
  const out: MetricsTreeJson = {};
  const e = node.entry;
  if (e !== undefined) {
    if (e.metric.kind === "histogram") {
      const flat: FlatMetrics = {};
      writeFlat(flat, "stat", e);
      Object.assign(out, flat);
    } else {
      const v = read(e.metric);
      if (v !== undefined) out[e.metric.kind] = v;
    }
  }
  for (const [name, child] of node.children) out[name] = toTreeJson(child);
  return out;
}

function flatten(node: Node, prefix: string, out: FlatMetrics): void {
  if (node.entry !== undefined) writeFlat(out, prefix, node.entry);
  for (const [name, child] of node.children) {
    flatten(child, prefix === "" ? name : `${prefix}/${name}`, out);
  }
}

/**
 * The tree of the registry's metrics; with `q`, of those whose key is `q` or lies below it only
 * (every metric of `q`'s subtree has such a key, and `resolve` finds the subtree in either tree):
 * a `?q=` request then builds and renders its subtree, not a tree of every metric (issue 6: with
 * 1000 services × 10 endpoints, ~130 000 of them).
 */
function buildTree(registry: MetricsRegistry, q?: string): Node {
  const root: Node = { entry: undefined, children: new Map() };
  const prefix = q === undefined ? "" : trimSlashes(q);
  for (const e of registry.entries()) {
    if (prefix !== "" && !(e.key.startsWith(prefix) && under(e.key, prefix))) continue;
    let node = root;
    for (const el of e.path) {
      let next = node.children.get(el);
      if (next === undefined) {
        next = { entry: undefined, children: new Map() };
        node.children.set(el, next);
      }
      node = next;
    }
    node.entry = e;
  }
  return root;
}

/** Whether `key` (which starts with `prefix`) is `prefix` or continues it after a `/`. */
function under(key: string, prefix: string): boolean {
  return key.length === prefix.length || key.charCodeAt(prefix.length) === 47;
}

/** Walks `q` down the tree, matching whole elements (an element may itself contain `/`). */
function resolve(root: Node, q: string): Node | undefined {
  let node = root;
  let rest = trimSlashes(q);
  while (rest !== "") {
    let best: [string, Node] | undefined;
    for (const [name, child] of node.children) {
      if (
        (rest === name || rest.startsWith(`${name}/`)) && name.length > (best?.[0].length ?? -1)
      ) {
        best = [name, child];
      }
    }
    if (best === undefined) return undefined;
    node = best[1];
    rest = rest.slice(best[0].length + 1);
  }
  return node;
}

function read(m: { readonly value: number }): number | undefined {
  try {
    return m.value;
  } catch {
    return undefined; // a computed gauge that throws is left out, not fatal to the page
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}

function sortKeys(v: FlatMetrics | MetricsTreeJson): MetricsTreeJson {
  const out: MetricsTreeJson = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k] as number | MetricsTreeJson;
    out[k] = typeof x === "number" ? x : sortKeys(x);
  }
  return out;
}
