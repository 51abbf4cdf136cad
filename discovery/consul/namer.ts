/**
 * The `io.l5d.consul` namer (L1 `namer/consul/.../ConsulNamer.scala`, `LookupCache.scala`,
 * `SvcAddr.scala`; `linkerd/docs/namer.md` "Consul service discovery"; REF `linkerd1.md` §3).
 *
 * Names: `/#/io.l5d.consul/<datacenter>/<service>/residual...`, or with `includeTag: true`
 * `/#/io.l5d.consul/<datacenter>/<tag>/<service>/residual...`. The service and tag are matched
 * lowercased; the bound id keeps the segments as written (`/dc1/Web`). A path too short for the
 * form is Neg. The datacenter `.local` is the agent's own (`/v1/agent/self` `Config.Datacenter`,
 * asked once, retried until it answers; the name stays pending meanwhile).
 *
 * - One blocking-query loop per (datacenter, service, tag), started when a name is first used:
 *   the first query has no index, each next one `?index=<X-Consul-Index>` of the previous
 *   answer, so Consul answers only when the instances change.
 * - An answer with instances binds them; with none, the name is **Neg** (the dtab falls through).
 * - A failed query (API down, 5xx, a datacenter Consul cannot reach): before any answer the name
 *   is Neg; after one the last addresses stay. The loop retries with jittered exponential
 *   backoff (10 ms to 5 s, as Linkerd), without an index. An answer without `X-Consul-Index`
 *   fails the name (Linkerd: "consul did not return an index") and is retried the same way.
 * - Addresses: the instance's `ServiceAddress` when not empty, else the node's `Address`
 *   (`preferServiceAddress: false`: always the node's), with `ServicePort`; an instance without
 *   a port or address is skipped. Weight: the largest `weights` entry among the instance's
 *   tags, else 1.
 * - `setHost: true`: every address carries `meta.authority` =
 *   `[<tag>.]<service>.service.<dc>.<domain>` (`domain` from the agent, default `consul`), and
 *   the router rewrites the request's Host to it (Linkerd's `RewriteHostHeader`).
 * - `state()` serves `/namer_state/io.l5d.consul.json`: per looked-up path, `{state, poll}`
 *   with the addresses and the last request/response (Linkerd's `ConsulNamerHandler`).
 * - A loop nobody has used for `idleMs` (10 minutes) stops; a later use starts it again.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Var } from "../../router/core/var.ts";
import type { Path } from "../../router/dtab/types.ts";
import type { Addr, Address, Namer } from "../types.ts";
import { addrVar, boundAddr } from "../addr.ts";
import { makeBound } from "../bound.ts";
import {
  boundedCache,
  cachedLookup,
  leafBound,
  type Lookup,
  lookupEquals,
  mapVar,
  negBecause,
  PENDING,
} from "../_activity.ts";
import { showPath } from "../_path.ts";
import { backoffDelay, isoNow, sleep, timerFor } from "../_timer.ts";
import { idleStopped } from "../_idle_var.ts";
import { type AgentConfig, type ConsulApi, createConsulApi, type ServiceNode } from "./api.ts";
import type { ConsulNamerConfig } from "./namer_schema.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.consul";

/** Options of {@linkcode createConsulNamer}. */
export interface ConsulNamerOptions {
  readonly api: ConsulApi;
  /** Close the API client with the namer. */
  readonly ownsApi?: boolean;
  /** Names carry a tag segment. */
  readonly includeTag?: boolean | undefined;
  /** Addresses carry `meta.authority` (Host rewrite). */
  readonly setHost?: boolean | undefined;
  /** Default true. */
  readonly preferServiceAddress?: boolean | undefined;
  /** tag → weight. */
  readonly weights?: ReadonlyMap<string, number> | undefined;
  /** Backoff bounds, default 10 ms .. 5000 ms. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Stop a loop unused this long, default 600000 ms. */
  readonly idleMs?: number;
  readonly clock?: Clock | undefined;
  readonly random?: () => number;
  readonly log?: {
    warn(msg: string, fields?: Record<string, unknown>): void;
    debug(msg: string, fields?: Record<string, unknown>): void;
  } | undefined;
}

/** What one poll loop last did (Linkerd's `PollState`). */
interface PollState {
  request?: string;
  lastRequestAt?: string;
  response?: unknown;
  lastResponseAt?: string;
  error?: string;
}

/** The namer. */
export interface ConsulNamer extends Namer {
  state(): Record<string, { state: unknown; poll: PollState }>;
  close(): Promise<void>;
}

interface Watch {
  readonly addr: Var<Addr>;
  /** The current state without starting the loop (admin). */
  peek(): Addr;
  readonly poll: PollState;
  close(): Promise<void>;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The addresses of a service's instances (Linkerd's `SvcAddr.nodesToAddresses`).
 *
 * @param nodes The instances.
 * @param opts `preferServiceAddress` (default true), tag weights, and `meta` for every address.
 * @returns The addresses, in order; instances without an address or port are skipped.
 * @example
 * ```ts
 * import { nodeAddresses } from "./namer.ts";
 * nodeAddresses([{ Address: "10.0.0.1", ServiceAddress: "", ServicePort: 80 }], {});
 * // [{ host: "10.0.0.1", port: 80, weight: 1 }]
 * ```
 */
export function nodeAddresses(
  nodes: readonly ServiceNode[],
  opts: {
    preferServiceAddress?: boolean | undefined;
    weights?: ReadonlyMap<string, number> | undefined;
    meta?: Readonly<Record<string, unknown>> | undefined;
  },
): Address[] {
  const out: Address[] = [];
  for (const n of nodes) {
    const port = n.ServicePort;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    const svc = n.ServiceAddress ?? "";
    const host = opts.preferServiceAddress !== false && svc !== "" ? svc : n.Address ?? "";
    if (host === "") continue;
    let weight = 1;
    const ws = (n.ServiceTags ?? []).flatMap((t) => {
      const w = opts.weights?.get(t);
      return w === undefined ? [] : [w];
    });
    if (ws.length > 0) weight = Math.max(...ws);
    out.push({ host, port, weight, ...(opts.meta ? { meta: opts.meta } : {}) });
  }
  return out;
}

/**
 * Make the `io.l5d.consul` namer.
 *
 * @param opts The API client and the namer keys.
 * @returns The namer; `close()` stops every loop.
 * @example
 * ```ts
 * import { createConsulApi } from "./api.ts";
 * import { createConsulNamer } from "./namer.ts";
 * const namer = createConsulNamer({ api: createConsulApi({ port: 1 }), ownsApi: true });
 * namer.lookup(["dc1"]).get(); // Neg: no service segment
 * await namer.close();
 * ```
 */
export function createConsulNamer(opts: ConsulNamerOptions): ConsulNamer {
  const { api } = opts;
  const width = opts.includeTag ? 3 : 2;
  const setTimer = timerFor(opts.clock);
  const now = opts.clock ? () => opts.clock!.now() : Date.now;
  const random = opts.random ?? Math.random;
  const minBackoff = opts.minBackoffMs ?? 10;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const idleMs = opts.idleMs ?? 600_000;
  const closing = new AbortController();
  const watches = new Map<string, Watch>();
  const lookups = boundedCache<Var<Lookup>>(1000);
  /** Looked-up path → the watch it reads, for `state()`. */
  const looked = new Map<string, Watch>();
  /** Watches whose loop runs (a retired one a caller still holds may start again). */
  const live = new Set<Watch>();
  let agent: Promise<AgentConfig> | undefined;

  const backoff = (attempt: number) =>
    backoffDelay(attempt, { minBackoffMs: minBackoff, maxBackoffMs: maxBackoff }, random);

  /** `/v1/agent/self`, once, retried until it answers (Linkerd's `localAgent(retry = true)`). */
  function agentConfig(): Promise<AgentConfig> {
    agent ??= (async () => {
      for (let attempt = 0;; attempt++) {
        try {
          return await api.agentConfig(closing.signal);
        } catch (e: unknown) {
          if (closing.signal.aborted) throw e;
          opts.log?.warn("consul agent lookup failed, retrying", { error: message(e) });
          await sleep(backoff(attempt), setTimer, closing.signal);
        }
      }
    })();
    return agent;
  }

  function watch(dc: string, service: string, tag: string | undefined): Watch {
    const key = `${dc}\n${service}\n${tag ?? ""}`;
    const hit = watches.get(key);
    if (hit) return hit;
    const inner = addrVar();
    const poll: PollState = {};
    let running: Promise<void> | undefined;
    let stop: AbortController | undefined;

    async function loop(signal: AbortSignal): Promise<void> {
      let datacenter = dc;
      let authority: string | undefined;
      if (dc === ".local" || opts.setHost) {
        let config: AgentConfig;
        try {
          config = await agentConfig();
        } catch {
          return; // closed
        }
        if (dc === ".local") datacenter = config.Datacenter ?? dc;
        if (opts.setHost) {
          const domain = (config.Domain ?? "consul").replace(/^\.+|\.+$/g, "");
          authority = `${
            tag !== undefined ? `${tag}.` : ""
          }${service}.service.${datacenter}.${domain}`;
        }
      }
      const meta = authority !== undefined ? { authority } : undefined;
      let index: string | undefined;
      let attempt = 0;
      let failing = false;
      while (!signal.aborted) {
        const query = { datacenter, tag, index };
        poll.request = api.describe(service, query);
        poll.lastRequestAt = isoNow(opts.clock);
        let error: string | undefined;
        try {
          const answer = await api.serviceNodes(service, query, signal);
          poll.lastResponseAt = isoNow(opts.clock);
          poll.response = answer;
          delete poll.error;
          if (answer.index === undefined) {
            error = "consul did not return an index";
            inner.set({ type: "failed", error: `consul ${service}: ${error}` });
          } else {
            const addrs = nodeAddresses(answer.value, { ...opts, meta });
            inner.set(addrs.length > 0 ? boundAddr(addrs) : { type: "neg" });
            const same = answer.index === index;
            index = answer.index;
            attempt = 0;
            failing = false;
            // An answer at the index asked for is a blocking query's timeout (or a server
            // that does not block): pause a little so such a server is not hammered.
            if (same) await sleep(1000, setTimer, signal);
            continue;
          }
        } catch (e: unknown) {
          if (signal.aborted) return;
          error = message(e);
          poll.lastResponseAt = isoNow(opts.clock);
          poll.error = error;
          delete poll.response;
          if (inner.get().type === "pending") inner.set({ type: "neg" });
        }
        const fields = { datacenter, service, tag, error };
        if (!failing) opts.log?.warn("consul service observation failed, retrying", fields);
        else opts.log?.debug("consul service observation failed again", fields);
        failing = true;
        index = undefined;
        await sleep(backoff(attempt++), setTimer, signal);
      }
    }

    const idle = idleStopped(inner, {
      idleMs,
      now,
      setTimer,
      running: () => running !== undefined,
      start() {
        if (closing.signal.aborted) return;
        live.add(w); // closed with the namer even once retired from `watches`
        if (!watches.has(key)) watches.set(key, w);
        stop = new AbortController();
        running = loop(AbortSignal.any([stop.signal, closing.signal]));
      },
      stop() {
        stop?.abort();
        running = undefined;
        inner.set({ type: "pending" });
        // Retire it, so names looked up once (a typo in a Host header) leave nothing behind.
        live.delete(w);
        if (watches.get(key) === w) watches.delete(key);
        for (const [p, x] of looked) if (x === w) looked.delete(p);
        lookups.clear();
      },
    });
    const w: Watch = {
      addr: idle.value,
      peek: () => inner.get(),
      poll,
      async close() {
        idle.cancel();
        stop?.abort();
        await running;
      },
    };
    watches.set(key, w);
    return w;
  }

  function lookupService(path: Path): Var<Lookup> {
    const id = path.slice(0, width);
    const dc = id[0] as string;
    const tag = opts.includeTag ? (id[1] as string).toLowerCase() : undefined;
    const service = (id[width - 1] as string).toLowerCase();
    const w = watch(dc, service, tag);
    looked.set(showPath(path), w);
    if (looked.size > 1000) looked.delete(looked.keys().next().value as string);
    const leaf = leafBound(makeBound(id, w.addr, path.slice(width)));
    const what = `${tag !== undefined ? `${tag}.` : ""}${service} in ${dc}`;
    return mapVar(w.addr, (a): Lookup => {
      if (a.type === "pending") return PENDING;
      if (a.type === "neg") return negBecause(`consul: no instances of ${what}`);
      return leaf;
    }, lookupEquals);
  }

  return {
    kind,
    lookup: cachedLookup(lookups, width, closing.signal, "consul", lookupService),
    state() {
      const out: Record<string, { state: unknown; poll: PollState }> = {};
      for (const [path, w] of looked) {
        const a = w.peek();
        out[path] = {
          state: a.type === "bound" ? { type: "bound", addrs: a.addrs } : a,
          poll: w.poll,
        };
      }
      return out;
    },
    async close() {
      closing.abort();
      const all = new Set([...live, ...watches.values()]);
      watches.clear();
      live.clear();
      looked.clear();
      lookups.clear();
      await Promise.allSettled([...all].map((w) => w.close()));
      if (opts.ownsApi) api.close();
    },
  };
}

/**
 * Build the namer of a validated `io.l5d.consul` config (its API client is owned and closed
 * with it). `healthStatuses` applies only with `useHealthCheck: true`, default `[passing]`.
 *
 * @param config The parsed config.
 * @param ctx Clock and log.
 * @returns The namer.
 * @example
 * ```ts
 * import { makeConsulNamer } from "./namer.ts";
 * const namer = makeConsulNamer({ host: "127.0.0.1", includeTag: true }, {});
 * await namer.close();
 * ```
 */
export function makeConsulNamer(
  config: ConsulNamerConfig,
  ctx: { readonly clock?: Clock | undefined; readonly log?: ConsulNamerOptions["log"] },
): ConsulNamer {
  const api = createConsulApi({
    host: config.host,
    port: config.port,
    token: config.token,
    tls: config.tls,
    consistencyMode: config.consistencyMode,
    ...(config.useHealthCheck
      ? { healthStatuses: config.healthStatuses ?? ["passing" as const] }
      : {}),
  });
  return createConsulNamer({
    api,
    ownsApi: true,
    includeTag: config.includeTag,
    setHost: config.setHost,
    preferServiceAddress: config.preferServiceAddress,
    weights: new Map((config.weights ?? []).map((w) => [w.tag, w.weight])),
    clock: ctx.clock,
    log: ctx.log,
  });
}
