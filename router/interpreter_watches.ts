/**
 * The dtab watches of the interpreters that read their dtab from a service, `io.l5d.k8s.configMap`
 * (a ConfigMap key) and `io.l5d.consul.interpreter` (a Consul KV key), shared by the snapshots of
 * one process: a reload whose interpreter keys are unchanged (its address, namespace, key…) keeps
 * the watch, and the dtab, it already has. Without sharing, every reload would start a fresh
 * watch and names would wait for its first answer; with the service down at that moment, every
 * request of the new snapshot would time out although the dtab in use was good.
 *
 * @example
 * ```ts ignore
 * import { interpreterWatches } from "./interpreter_watches.ts";
 * const shared = interpreterWatches();
 * const w = shared.acquire(routerConfig, { log }); // the watch, started or reused
 * await shared.release(w); // closed once no snapshot uses it
 * ```
 *
 * @module
 */
import type { RouterConfig } from "./config/mod.ts";
import type { Clock } from "./core/clock.ts";
import type { Var } from "./core/var.ts";
import type { Dtab } from "./dtab/types.ts";
import { type ConfigMapLog, createK8sApi, watchConfigMapDtab } from "../discovery/k8s/mod.ts";
import { createConsulApi, watchConsulDtab } from "../discovery/consul/mod.ts";

/** What a watch is made with. */
export interface WatchContext {
  readonly clock?: Clock | undefined;
  readonly log?: ConfigMapLog | undefined;
}

/** A live interpreter dtab. */
export interface InterpreterWatch {
  readonly kind: "io.l5d.k8s.configMap" | "io.l5d.consul.interpreter";
  /** The dtab now; `undefined` until the service has answered once. */
  readonly dtab: Var<Dtab | undefined>;
  /** For `/<router>/interpreter_state/<kind>.json`. */
  state(): unknown;
  close(): Promise<void>;
}

/** Reference-counted interpreter dtab watches. */
export interface InterpreterWatches {
  /**
   * The watch of a router's `io.l5d.k8s.configMap` or `io.l5d.consul.interpreter` interpreter
   * (started, or shared with another snapshot); `undefined` for other interpreter kinds. Each
   * result is released once.
   *
   * @throws {Error} when the k8s API endpoint cannot be resolved (`useServiceAccount` outside a
   *   pod), or a Consul `tls` file cannot be read.
   */
  acquire(rc: RouterConfig, ctx: WatchContext): InterpreterWatch | undefined;
  /** Give back a watch `acquire` returned; the last user closes it. */
  release(w: InterpreterWatch): Promise<void>;
}

/** What identifies a watch: its interpreter's keys but `transformers`; `undefined` for none. */
function watchKey(rc: RouterConfig): string | undefined {
  const i = rc.interpreter;
  if (i.kind !== "io.l5d.k8s.configMap" && i.kind !== "io.l5d.consul.interpreter") return undefined;
  const { transformers: _, ...keys } = i;
  return JSON.stringify(Object.entries(keys).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}

function start(rc: RouterConfig, ctx: WatchContext): InterpreterWatch | undefined {
  const i = rc.interpreter;
  if (i.kind === "io.l5d.k8s.configMap") {
    const { host, port, useServiceAccount, namespace, name, filename } = i;
    return {
      kind: i.kind,
      ...watchConfigMapDtab({
        api: createK8sApi({ host, port, useServiceAccount }),
        ownsApi: true,
        namespace,
        name,
        filename,
        clock: ctx.clock,
        log: ctx.log,
      }),
    };
  }
  if (i.kind === "io.l5d.consul.interpreter") {
    const { host, port, token, tls, readConsistencyMode, pathPrefix, namespace, datacenter } = i;
    const b = i.backoff;
    const [minBackoffMs, maxBackoffMs] = b === undefined
      ? [undefined, undefined]
      : b.kind === "constant"
      ? [b.ms, b.ms]
      : [b.minMs, b.maxMs];
    const kv = watchConsulDtab({
      api: createConsulApi({ host, port, token, tls, consistencyMode: readConsistencyMode }),
      ownsApi: true,
      pathPrefix,
      namespace,
      datacenter,
      minBackoffMs,
      maxBackoffMs,
      clock: ctx.clock,
      log: ctx.log,
    });
    return { kind: i.kind, dtab: kv.dtab, state: () => kv.state(), close: () => kv.close() };
  }
  return undefined;
}

/**
 * Make an empty set of shared watches (one per process).
 *
 * @returns The set.
 */
export function interpreterWatches(): InterpreterWatches {
  const byKey = new Map<string, { w: InterpreterWatch; users: number }>();
  const keyOf = new Map<InterpreterWatch, string>();
  return {
    acquire(rc, ctx) {
      const key = watchKey(rc);
      if (key === undefined) return undefined;
      const had = byKey.get(key);
      if (had) {
        had.users++;
        return had.w;
      }
      const w = start(rc, ctx);
      if (!w) return undefined;
      byKey.set(key, { w, users: 1 });
      keyOf.set(w, key);
      return w;
    },
    async release(w) {
      const key = keyOf.get(w);
      const entry = key === undefined ? undefined : byKey.get(key);
      if (key === undefined || !entry || --entry.users > 0) return;
      byKey.delete(key);
      keyOf.delete(w);
      await w.close();
    },
  };
}
