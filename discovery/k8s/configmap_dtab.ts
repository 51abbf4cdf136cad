/**
 * The dtab of an `io.l5d.k8s.configMap` interpreter: one key of one Kubernetes ConfigMap, read
 * through the API and watched (L1 `interpreter/k8s/.../ConfigMapInterpreterInitializer.scala`),
 * as a Var that the router binds with:
 *
 * - `undefined` until the first answer of the API (Linkerd's Activity is Pending while its GET
 *   is retried: names wait, up to the router's `bindingTimeoutMs`);
 * - the key's dentries once read; an `ADDED` / `MODIFIED` ConfigMap whose key does not parse
 *   keeps the last good dtab (an error is logged with the key's line and column);
 * - the empty dtab when the ConfigMap does not exist ("assuming it will be created"), when it
 *   has no such key, or once it is deleted (each logged as a warning), as in Linkerd;
 * - an API that goes away keeps the last dtab; the watch resumes by itself (`watch.ts`).
 *
 * The list + watch (one-name `fieldSelector` list, `?watch=true` from its resourceVersion, 410
 * re-list, backoff, Linkerd's one-object paths when the lists answer 404) is `source.ts`'s.
 *
 * @module
 */
import type { Dtab } from "../../router/dtab/types.ts";
import { parseDtab, showDtab } from "../../router/dtab/dtab.ts";
import { dtabFileError } from "../../router/dtab/error_text.ts";
import type { Clock } from "../../router/core/clock.ts";
import { mutableVar, type Var } from "../../router/core/var.ts";
import type { K8sApi } from "./api.ts";
import type { ObjectMeta } from "./resources.ts";
import { createSource, type ObjState } from "./source.ts";
import type { BackoffOptions } from "../_timer.ts";
import type { WatchStatus } from "./watch.ts";

/** A ConfigMap, as far as the interpreter reads it. */
export interface ConfigMap {
  readonly metadata?: ObjectMeta;
  readonly data?: Readonly<Record<string, string>>;
}

/** What the interpreter logs. */
export interface ConfigMapLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode watchConfigMapDtab}. */
export interface ConfigMapDtabOptions extends BackoffOptions {
  readonly api: K8sApi;
  /** Close `api` with the watch. */
  readonly ownsApi?: boolean;
  readonly namespace: string;
  /** The ConfigMap's name. */
  readonly name: string;
  /** The key holding the dtab. */
  readonly filename: string;
  readonly clock?: Clock | undefined;
  readonly log?: ConfigMapLog | undefined;
}

/**
 * The interpreter's state, for `/<router>/interpreter_state/io.l5d.k8s.configmap.json`, in the
 * shape of Linkerd's handler there: `{state: <VarState>, watch: <WatchState>}`.
 */
export interface ConfigMapDtabState {
  /** Linkerd's `InstrumentedActivity.stateSnapshot()`. */
  readonly state: {
    readonly running: boolean;
    readonly lastStartedAt: string;
    readonly lastUpdatedAt: string | null;
    /** The dtab in use (`Dtab.show`); `null` while pending. */
    readonly value: string | null;
  };
  /** The list + watch (field names follow Linkerd's `WatchState`); `null` when stopped. */
  readonly watch: WatchStatus | null;
  /** Switchyard: the last problem with the ConfigMap's content (missing key, bad dtab). */
  readonly lastProblem: string | null;
}

/** A watched ConfigMap dtab. */
export interface ConfigMapDtab {
  /** The dtab now; `undefined` until the API has answered once. */
  readonly dtab: Var<Dtab | undefined>;
  /** Admin view. */
  state(): ConfigMapDtabState;
  /** Stop watching. */
  close(): Promise<void>;
}

function sameDtab(a: Dtab | undefined, b: Dtab | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return showDtab(a) === showDtab(b);
}

/**
 * Start watching a ConfigMap key's dtab.
 *
 * @param opts The API, the ConfigMap's namespace and name, the key.
 * @returns The dtab Var (pending until the first answer), its state, `close()`.
 * @example
 * ```ts ignore
 * import { createK8sApi } from "./api.ts";
 * import { watchConfigMapDtab } from "./configmap_dtab.ts";
 * const cm = watchConfigMapDtab({
 *   api: createK8sApi(), namespace: "default", name: "dtabs", filename: "my-dtab",
 * });
 * cm.dtab.get(); // undefined until the API answers, then the key's dentries
 * await cm.close();
 * ```
 */
export function watchConfigMapDtab(opts: ConfigMapDtabOptions): ConfigMapDtab {
  const { namespace, name, filename, log } = opts;
  const where = { configMap: `${namespace}/${name}`, key: filename };
  const source = createSource<ConfigMap>({
    api: opts.api,
    namespace,
    resource: "configmaps",
    name,
    clock: opts.clock,
    log,
    ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
  });
  const out = mutableVar<Dtab | undefined>(undefined, sameDtab);
  const iso = () => new Date(opts.clock ? opts.clock.now() : Date.now()).toISOString();
  const startedAt = iso();
  let updatedAt: string | null = null;
  let running = true;
  out.subscribe(() => updatedAt = iso());
  let existed = false;
  let lastProblem: string | undefined;

  function empty(problem: string): void {
    if (problem !== lastProblem) log?.warn(problem, where); // not again on each re-list
    lastProblem = problem;
    out.set([]);
  }

  function apply(s: ObjState<ConfigMap>): void {
    if (!s.loaded) return;
    if (s.obj === null) {
      const was = existed;
      existed = false;
      return empty(
        was
          ? `k8s ConfigMap ${name} was deleted!`
          : `k8s ConfigMap ${name} doesn't exist, assuming it will be created`,
      );
    }
    existed = true;
    const text = s.obj.data?.[filename];
    if (text === undefined) {
      return empty(`dtab at ${filename} in k8s ConfigMap ${name} did not exist!`);
    }
    let dtab: Dtab;
    try {
      dtab = parseDtab(text);
    } catch (e: unknown) {
      const detail = dtabFileError(`${namespace}/${name}/${filename}`, text, e);
      const problem = `k8s ConfigMap ${name} error reading dtab '${filename}': ${detail}`;
      const kept = out.get();
      if (problem !== lastProblem) {
        log?.error(problem, { ...where, kept: kept === undefined ? "" : showDtab(kept) });
      }
      lastProblem = problem;
      if (kept === undefined) out.set([]); // nothing good yet: Linkerd starts with Dtab.empty
      return;
    }
    lastProblem = undefined;
    const changed = !sameDtab(out.get(), dtab);
    out.set(dtab);
    if (changed) log?.info("k8s ConfigMap dtab loaded", { ...where, dtab: showDtab(dtab) });
  }

  // Subscribed for the interpreter's lifetime: the source never idles out.
  const off = source.state.subscribe(apply);
  apply(source.state.get());

  return {
    dtab: out,
    state() {
      const d = out.get();
      return {
        state: {
          running,
          lastStartedAt: startedAt,
          lastUpdatedAt: updatedAt,
          value: d === undefined ? null : showDtab(d),
        },
        watch: source.status() ?? null,
        lastProblem: lastProblem ?? null,
      };
    },
    async close() {
      running = false;
      off();
      await source.close();
      if (opts.ownsApi) opts.api.close();
    },
  };
}
