/**
 * `/admin/metrics/usage`: the anonymous usage message Linkerd 1.x's UsageDataTelemeter would send
 * (L1 `linkerd/core/.../telemeter/UsageDataTelemeter.scala` `UsageDataHandler`, `usage.proto`;
 * `linkerd/docs/config.md` "Usage": "To see the exact payload that is sent query
 * `localhost:9990/admin/metrics/usage`"). Switchyard never sends it anywhere: the endpoint only
 * shows what the `usage` block describes. As in Linkerd the endpoint exists while `usage.enabled`
 * is true (the default) and answers 404 once it is `false`.
 *
 * The body is Linkerd's JSON of the message: absent values are left out (`NON_ABSENT`), lists are
 * always there. `pid` is a random UUID per process (Linkerd's per-telemeter UUID, not the OS pid);
 * `startTime` is `yyyy-MM-ddTHH:mmZ` in UTC; `counters` has one `srv_requests` per router server
 * (`rt/<router>/server/<server>/requests`).
 *
 * @module
 */
import type { AdminHandler } from "./handler.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";

/** The parts of the loaded config the usage message reads (`Config` of `router/config` fits). */
export interface UsageConfigView {
  readonly routers: readonly {
    readonly protocol: string;
    readonly identifier?: readonly { readonly kind: string }[];
    readonly interpreter?: {
      readonly kind: string;
      readonly transformers?: readonly { readonly kind: string }[];
    };
  }[];
  readonly namers: readonly { readonly kind: string }[];
  readonly usage: { readonly enabled: boolean; readonly orgId?: string | undefined };
}

/** What {@linkcode usageHandler} reads. */
export interface UsageDeps {
  /** The config now serving (read per request: a reload may change it). */
  config(): UsageConfigView;
  /** Where the server request counters are. */
  readonly registry: MetricsRegistry;
  /** The program's version. */
  readonly version: string;
  /** Epoch ms the process started. */
  readonly startTime: number;
}

/** One router of the usage message. */
export interface UsageRouter {
  readonly protocol: string;
  readonly interpreter?: string;
  readonly identifiers: string[];
  readonly transformers: string[];
}

/** The usage message, as Linkerd's handler writes it. */
export interface UsageMessage {
  readonly pid: string;
  readonly orgId?: string;
  readonly linkerdVersion: string;
  readonly containerManager?: string;
  readonly osName: string;
  readonly osVersion?: string;
  readonly startTime: string;
  readonly routers: UsageRouter[];
  readonly namers: string[];
  readonly counters: { name: string; value: number }[];
  readonly gauges: { name: string; value?: number }[];
}

/** Java's `os.name` for Deno's `Deno.build.os`. */
function osName(): string {
  switch (Deno.build.os) {
    case "linux":
      return "Linux";
    case "darwin":
      return "Mac OS X";
    case "windows":
      return "Windows";
    default:
      return Deno.build.os;
  }
}

/** Java's `os.version`, or undefined without the `sys` permission. */
function osVersion(): string | undefined {
  try {
    return Deno.osRelease();
  } catch {
    return undefined;
  }
}

/** `yyyy-MM-dd'T'HH:mm'Z'` in UTC, as Linkerd's `mkStartTime`. */
function minuteStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + "Z";
}

/**
 * The usage message now.
 *
 * @param deps Config, registry, version and start time.
 * @param pid The process's usage id.
 * @returns The message.
 * @example
 * ```ts
 * import { usageMessage } from "./usage_handler.ts";
 * import { createRegistry } from "../metrics/registry.ts";
 * const m = usageMessage({
 *   config: () => ({ routers: [{ protocol: "http" }], namers: [], usage: { enabled: true } }),
 *   registry: createRegistry(),
 *   version: "0.1.0",
 *   startTime: Date.now(),
 * }, "id");
 * console.log(m.routers[0]?.protocol); // "http"
 * ```
 */
export function usageMessage(deps: UsageDeps, pid: string): UsageMessage {
  const config = deps.config();
  const counters: { name: string; value: number }[] = [];
  for (const e of deps.registry.entries()) {
    // rt/<router>/server/<server>/requests (the server element may hold `ip/port`).
    if (
      e.metric.kind === "counter" && e.path[0] === "rt" && e.path[2] === "server" &&
      e.path.length >= 5 && e.path[e.path.length - 1] === "requests"
    ) {
      counters.push({ name: "srv_requests", value: e.metric.value });
    }
  }
  let cpus: number | undefined = navigator.hardwareConcurrency;
  if (!(cpus > 0)) cpus = undefined;
  const uptime = Math.max(0, Math.round(Date.now() - deps.startTime));
  const version = osVersion();
  const gauge = (name: string, value: number | undefined) =>
    value === undefined ? { name } : { name, value };
  return {
    pid,
    ...(config.usage.orgId !== undefined ? { orgId: config.usage.orgId } : {}),
    linkerdVersion: deps.version,
    ...(Deno.env.get("MESOS_TASK_ID") !== undefined ? { containerManager: "mesos" } : {}),
    osName: osName(),
    ...(version !== undefined ? { osVersion: version } : {}),
    startTime: minuteStamp(deps.startTime),
    routers: config.routers.map((r) => ({
      protocol: r.protocol,
      ...(r.interpreter ? { interpreter: r.interpreter.kind } : {}),
      identifiers: (r.identifier ?? []).map((i) => i.kind),
      transformers: (r.interpreter?.transformers ?? []).map((t) => t.kind),
    })),
    namers: config.namers.map((n) => n.kind),
    counters,
    gauges: [
      gauge("jvm_mem", Deno.memoryUsage().heapUsed),
      gauge("jvm/gc/msec", undefined),
      gauge("jvm/uptime", uptime),
      gauge("jvm/num_cpus", cpus),
    ],
  };
}

/**
 * `GET /admin/metrics/usage`: the usage message as JSON, or 404 with `usage.enabled: false`.
 *
 * @param deps Config, registry, version and start time.
 * @returns The handler.
 * @example
 * ```ts
 * import { usageHandler } from "./usage_handler.ts";
 * import { createRegistry } from "../metrics/registry.ts";
 * const h = usageHandler({
 *   config: () => ({ routers: [], namers: [], usage: { enabled: false } }),
 *   registry: createRegistry(),
 *   version: "0.1.0",
 *   startTime: Date.now(),
 * });
 * console.log(h.path); // "/admin/metrics/usage"
 * ```
 */
export function usageHandler(deps: UsageDeps): AdminHandler {
  const pid = crypto.randomUUID();
  const path = "/admin/metrics/usage";
  return {
    path,
    handler: () => {
      if (!deps.config().usage.enabled) {
        return new Response(`not found: ${path}\n`, {
          status: 404,
          headers: { "content-type": "text/plain; charset=UTF-8" },
        });
      }
      return Response.json(usageMessage(deps, pid));
    },
  };
}
