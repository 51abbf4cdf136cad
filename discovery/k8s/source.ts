/**
 * One watched Kubernetes object (an `Endpoints` or a `Service`, by namespace, name and label
 * selector) as a Var: `{ loaded: false }` until the first list, then the object or `null` when
 * it does not exist. The watch behind it (`watch.ts`) starts on first use and stops when
 * nobody has subscribed or read it for `idleMs`, so names looked up once (a typo in a Host
 * header) do not keep API watches open forever, while names in use (a binding or a balancer
 * subscribed) are watched for as long as they are used.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { mutableVar, type Var } from "../../router/core/var.ts";
import { idleStopped } from "../_idle_var.ts";
import { type BackoffOptions, timerFor } from "../_timer.ts";
import type { K8sApi } from "./api.ts";
import type { ObjectMeta } from "./resources.ts";
import { type ResourceWatch, startWatch, type WatchStatus } from "./watch.ts";

/** The state of a watched object. */
export type ObjState<T> =
  | { readonly loaded: false }
  | { readonly loaded: true; readonly obj: T | null };

/** A minimal logger (structurally a `telemetry/log.ts` Logger). */
export interface K8sLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode createSource}. */
export interface SourceOptions extends BackoffOptions {
  readonly api: K8sApi;
  readonly namespace: string;
  /** `endpoints` or `services`. */
  readonly resource: string;
  readonly name: string;
  /** A label selector (`key=value`), when the namer has `labelSelector`. */
  readonly labelSelector?: string | undefined;
  /** Stop the watch after this long unused, default 600000 ms. */
  readonly idleMs?: number;
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
  /** Aborted when the owner closes: the source never starts again. */
  readonly signal?: AbortSignal | undefined;
  /** Called when the watch starts (the owner keeps running sources, to close them). */
  onStart?(): void;
  /** Called when the watch stops for idleness (the owner forgets the source). */
  onIdle?(): void;
}

/** A watched object. */
export interface Source<T> {
  /** The object state; reading or subscribing (re)starts the watch. */
  readonly state: Var<ObjState<T>>;
  /** The current state without starting anything (for admin). */
  peek(): ObjState<T>;
  /** Watch status, `undefined` while stopped. */
  status(): WatchStatus | undefined;
  /** Stop for good. */
  close(): Promise<void>;
}

const NOT_LOADED = Object.freeze({ loaded: false as const });

/**
 * Make a lazily started, idle-stopped watch of one object.
 *
 * @param opts API, object coordinates, idle time.
 * @returns The source.
 * @example
 * ```ts ignore
 * import { createK8sApi } from "./api.ts";
 * import { createSource } from "./source.ts";
 * const src = createSource({ api: createK8sApi(), namespace: "default", resource: "endpoints", name: "web" });
 * src.state.get(); // { loaded: false } until the list arrives
 * await src.close();
 * ```
 */
export function createSource<T extends { readonly metadata?: ObjectMeta }>(
  opts: SourceOptions,
): Source<T> {
  const inner = mutableVar<ObjState<T>>(NOT_LOADED);
  const what = `${opts.resource} ${opts.namespace}/${opts.name}${
    opts.labelSelector ? ` (${opts.labelSelector})` : ""
  }`;
  let watch: ResourceWatch | undefined;
  let stopping: Promise<void> | undefined;
  let closed = false;
  let failing = false;

  const idle = idleStopped(inner, {
    idleMs: opts.idleMs ?? 600_000,
    now: opts.clock ? () => opts.clock!.now() : Date.now,
    setTimer: timerFor(opts.clock),
    running: () => watch !== undefined,
    start() {
      if (closed || opts.signal?.aborted) return;
      opts.onStart?.();
      watch = startWatch<T>({
        ...opts,
        query: {
          fieldSelector: `metadata.name=${opts.name}`,
          labelSelector: opts.labelSelector,
        },
        clock: opts.clock,
        onList(items) {
          failing = false;
          inner.set({
            loaded: true,
            obj: items.find((o) => o.metadata?.name === opts.name) ?? null,
          });
        },
        onEvent(type, obj) {
          failing = false;
          if (obj.metadata?.name !== undefined && obj.metadata.name !== opts.name) return;
          inner.set({ loaded: true, obj: type === "DELETED" ? null : obj });
        },
        onError(message) {
          if (!failing) {
            opts.log?.warn("k8s watch failed, retrying", { watch: what, error: message });
          } else opts.log?.debug("k8s watch failed again", { watch: what, error: message });
          failing = true;
        },
      });
    },
    stop() {
      const w = watch as ResourceWatch;
      watch = undefined;
      inner.set(NOT_LOADED);
      stopping = w.close();
      opts.onIdle?.();
    },
  });

  return {
    state: idle.value,
    peek: () => inner.get(),
    status: () => watch?.status(),
    async close() {
      closed = true;
      idle.cancel();
      const w = watch;
      watch = undefined;
      await Promise.allSettled([w?.close(), stopping]);
    },
  };
}
