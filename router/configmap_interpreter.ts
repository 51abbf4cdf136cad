/**
 * The `io.l5d.k8s.configMap` interpreter's watches, shared by the snapshots of one process: a
 * reload whose interpreter keys are unchanged (namespace, name, filename, API) keeps the watch,
 * and the dtab, it already has. Without sharing, every reload would start a fresh watch and
 * names would wait for its first answer; with the API down at that moment, every request of the
 * new snapshot would time out although the dtab in use was good.
 *
 * @example
 * ```ts ignore
 * import { configMapInterpreters } from "./configmap_interpreter.ts";
 * const shared = configMapInterpreters();
 * const cm = shared.acquire(routerConfig, { log }); // the watch, started or reused
 * await shared.release(cm); // closed once no snapshot uses it
 * ```
 *
 * @module
 */
import type { RouterConfig } from "./config/mod.ts";
import type { Clock } from "./core/clock.ts";
import {
  type ConfigMapDtab,
  type ConfigMapLog,
  createK8sApi,
  watchConfigMapDtab,
} from "../discovery/k8s/mod.ts";

/** What a watch is made with. */
export interface ConfigMapContext {
  readonly clock?: Clock | undefined;
  readonly log?: ConfigMapLog | undefined;
}

/** Reference-counted ConfigMap dtab watches. */
export interface ConfigMapInterpreters {
  /**
   * The watch of a router's `io.l5d.k8s.configMap` interpreter (started, or shared with another
   * snapshot); `undefined` for other interpreter kinds. Each result is released once.
   *
   * @throws {Error} when the API endpoint cannot be resolved (`useServiceAccount` outside a pod).
   */
  acquire(rc: RouterConfig, ctx: ConfigMapContext): ConfigMapDtab | undefined;
  /** Give back a watch `acquire` returned; the last user closes it. */
  release(cm: ConfigMapDtab): Promise<void>;
}

/**
 * Make an empty set of shared watches (one per process).
 *
 * @returns The set.
 */
export function configMapInterpreters(): ConfigMapInterpreters {
  const byKey = new Map<string, { cm: ConfigMapDtab; users: number }>();
  const keyOf = new Map<ConfigMapDtab, string>();
  return {
    acquire(rc, ctx) {
      const i = rc.interpreter;
      if (i.kind !== "io.l5d.k8s.configMap") return undefined;
      const { host, port, useServiceAccount, namespace, name, filename } = i;
      const key = JSON.stringify([host, port, useServiceAccount, namespace, name, filename]);
      const had = byKey.get(key);
      if (had) {
        had.users++;
        return had.cm;
      }
      const cm = watchConfigMapDtab({
        api: createK8sApi({ host, port, useServiceAccount }),
        ownsApi: true,
        namespace,
        name,
        filename,
        clock: ctx.clock,
        log: ctx.log,
      });
      byKey.set(key, { cm, users: 1 });
      keyOf.set(cm, key);
      return cm;
    },
    async release(cm) {
      const key = keyOf.get(cm);
      const entry = key === undefined ? undefined : byKey.get(key);
      if (key === undefined || !entry || --entry.users > 0) return;
      byKey.delete(key);
      keyOf.delete(cm);
      await cm.close();
    },
  };
}
