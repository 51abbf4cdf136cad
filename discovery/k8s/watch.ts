/**
 * A resumable list + watch of one namespaced resource (an informer), with Linkerd's recovery
 * rules (L1 `k8s/.../Watchable.scala`) and a few more:
 *
 * 1. **List** (`GET /api/v1/namespaces/<ns>/<resource>`, with the label and field selectors):
 *    the items replace the state, and the list's `resourceVersion` is where the watch starts.
 * 2. **Watch** from that version; each `ADDED` / `MODIFIED` / `DELETED` event is applied and
 *    its object's `resourceVersion` remembered; `BOOKMARK`s only advance the version. As in
 *    Linkerd, an event whose numeric `resourceVersion` is lower than one the same stream already
 *    delivered is out of order and skipped.
 * 3. When the stream **ends** (the server's `timeoutSeconds`, a proxy, a restart), watch again
 *    from the last version, with no re-list.
 * 4. **410 Gone** (as the HTTP status, or as an `ERROR` event with `code: 410` inside a 200, the
 *    Kubernetes bug Linkerd works around): the version is too old, so list again, then watch.
 * 5. **Other failures**: wait with jittered exponential backoff, `minBackoffMs` 1 ms to
 *    `maxBackoffMs` 5 s as in Linkerd, then list again after a refused request (a non-2xx status
 *    such as 5xx or 403) or resume from the last version after a broken stream (connection
 *    reset, malformed line). The backoff resets as soon as a stream delivers an event. A line
 *    that is JSON but not an event of an object with a name (no `metadata`, a `null` object) is
 *    malformed too: it is neither applied nor remembered as the version.
 * 6. A stream that stays **silent** longer than its `timeoutSeconds` plus `silenceGraceMs`
 *    (30 s) is presumed dead (a half-open TCP connection) and restarted; Linkerd would wait on
 *    it forever. A watch request that gets no response headers within the API client's
 *    `requestTimeoutMs` (30 s; a hung API server or proxy) fails the same way, at once.
 *
 * Every cycle that delivered no event counts as a failure for the backoff, so a server that
 * answers and closes at once is not hammered.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import {
  type K8sApi,
  K8sApiError,
  type K8sQuery,
  readWatchEvents,
  requestPath,
  type WatchQuery,
} from "./api.ts";
import { resourceVersionOf, type WatchEvent } from "./resources.ts";
import { backoffDelay, type BackoffOptions, sleep, timerFor } from "../_timer.ts";

/** Options of {@linkcode startWatch}. */
export interface WatchOptions<T> extends BackoffOptions {
  readonly api: K8sApi;
  readonly namespace: string;
  /** Plural resource name: `endpoints`, `services`. */
  readonly resource: string;
  readonly query?: K8sQuery;
  /** The list result (replaces everything known). */
  onList(items: readonly T[]): void;
  /** One watch event (`ADDED`, `MODIFIED`, `DELETED`). */
  onEvent(type: "ADDED" | "MODIFIED" | "DELETED", object: T): void;
  /** A failure (for logs); the loop recovers by itself. */
  onError?(message: string): void;
  /** Timers and randomness; default real timers and `Math.random`. */
  readonly clock?: Clock | undefined;
  /** Server-side watch timeout, default a random 300..600 s (as client-go). */
  readonly timeoutSeconds?: number;
  /** How long past `timeoutSeconds` a silent stream is trusted, default 30000 ms. */
  readonly silenceGraceMs?: number;
}

/** What a watch is doing, for `/namer_state` (field names follow Linkerd's `WatchState`). */
export interface WatchStatus {
  request?: string | undefined;
  lastListAt?: string;
  lastStreamStartAt?: string;
  lastStreamDataAt?: string;
  lastStreamEndAt?: string;
  lastError?: string;
  resourceVersion?: string;
  streaming: boolean;
  /** Lists done (1 + relists after 410s and failures). */
  lists: number;
  /** Watch streams opened. */
  watches: number;
  /** Consecutive failed cycles. */
  failures: number;
}

/** A running watch. */
export interface ResourceWatch {
  status(): WatchStatus;
  /** Stop: aborts the request in flight and resolves when the loop has ended. */
  close(): Promise<void>;
}

const GONE = Symbol("gone");

/**
 * Start the list + watch loop described in the module doc.
 *
 * @param opts The API, the resource and the handlers.
 * @returns A handle with `status()` and `close()`.
 * @example
 * ```ts ignore
 * import { createK8sApi } from "./api.ts";
 * import { startWatch } from "./watch.ts";
 * const w = startWatch({
 *   api: createK8sApi(), namespace: "default", resource: "endpoints",
 *   onList: (items) => console.log(items.length), onEvent: (type) => console.log(type),
 * });
 * await w.close();
 * ```
 */
export function startWatch<T>(opts: WatchOptions<T>): ResourceWatch {
  const { api, namespace, resource } = opts;
  const query = opts.query ?? {};
  const random = opts.clock?.random ?? Math.random;
  const wall = opts.clock ? () => opts.clock!.now() : Date.now;
  const iso = () => new Date(wall()).toISOString();
  const stop = new AbortController();
  const status: WatchStatus = { streaming: false, lists: 0, watches: 0, failures: 0 };
  let attempt = 0;

  const setTimer = timerFor(opts.clock);

  function fail(message: string): void {
    status.lastError = `${iso()} ${message}`;
    opts.onError?.(message);
  }

  async function list(): Promise<string> {
    status.lists++;
    status.request = `GET ${requestPath(namespace, resource, query)} at ${iso()}`;
    const l = await api.list<T>(namespace, resource, query, stop.signal);
    status.lastListAt = iso();
    opts.onList(l.items ?? []);
    return resourceVersionOf(l) ?? "";
  }

  /** One watch stream; returns the last version, or GONE when a relist is needed. */
  async function watchFrom(rv: string): Promise<{ rv: string | typeof GONE; events: number }> {
    const timeoutSeconds = opts.timeoutSeconds ?? 300 + Math.floor(random() * 300);
    const conn = new AbortController();
    const signal = AbortSignal.any([stop.signal, conn.signal]);
    const silenceMs = timeoutSeconds * 1000 + (opts.silenceGraceMs ?? 30_000);
    let cancelSilence = setTimer(silenceMs, () => conn.abort(new Error("watch silent")));
    const heard = () => {
      cancelSilence();
      cancelSilence = setTimer(silenceMs, () => conn.abort(new Error("watch silent")));
    };
    let events = 0;
    let version = rv;
    /** The highest numeric version this stream delivered (Linkerd orders events by it). */
    let newest: number | undefined;
    try {
      status.watches++;
      const wq: WatchQuery = { ...query, resourceVersion: rv, timeoutSeconds };
      status.request = `GET ${requestPath(namespace, resource, wq)} at ${iso()}`;
      const res = await api.watch(namespace, resource, wq, signal);
      if (res.status === 410) {
        await res.body?.cancel();
        return { rv: GONE, events };
      }
      if (!res.ok) {
        const text = (await res.text()).slice(0, 200);
        throw new K8sApiError(res.status, `watch ${resource}: ${res.status} ${text}`);
      }
      if (!res.body) throw new Error(`watch ${resource}: no body`);
      status.streaming = true;
      status.lastStreamStartAt = iso();
      for await (const ev of readWatchEvents<T>(res.body)) {
        heard();
        status.lastStreamDataAt = iso();
        if (ev.type === "ERROR") {
          if (ev.object.code === 410) return { rv: GONE, events };
          throw new Error(`watch ${resource}: error event ${JSON.stringify(ev.object)}`);
        }
        if (!wellFormed(ev)) {
          const text = JSON.stringify(ev).slice(0, 120);
          throw new Error(`watch ${resource}: malformed watch event: ${text}`);
        }
        const n = versionNumber(resourceVersionOf(ev.object));
        if (n !== undefined && newest !== undefined && n < newest) continue;
        if (n !== undefined) newest = n;
        events++;
        attempt = 0;
        status.failures = 0;
        version = resourceVersionOf(ev.object) ?? version;
        status.resourceVersion = version;
        if (ev.type !== "BOOKMARK") apply(ev);
      }
      return { rv: version, events };
    } finally {
      cancelSilence();
      if (status.streaming) status.lastStreamEndAt = iso();
      status.streaming = false;
    }
  }

  /**
   * An object event carries an object with a name (a bookmark: with a version); anything else
   * (JSON of the wrong shape) would be applied as an empty object, so it is a malformed line.
   */
  function wellFormed(ev: WatchEvent<T>): boolean {
    const known = ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED";
    if (!known && ev.type !== "BOOKMARK") return true; // another type: ignored
    const o: unknown = ev.object;
    if (o === null || typeof o !== "object") return false;
    const meta = (o as { metadata?: unknown }).metadata;
    if (meta === null || typeof meta !== "object") return false;
    if (ev.type === "BOOKMARK") return typeof resourceVersionOf(o) === "string";
    return typeof (meta as { name?: unknown }).name === "string";
  }

  function versionNumber(rv: string | undefined): number | undefined {
    return rv !== undefined && /^\d+$/.test(rv) ? Number(rv) : undefined;
  }

  function apply(ev: WatchEvent<T>): void {
    if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") {
      opts.onEvent(ev.type, ev.object);
    }
  }

  async function loop(): Promise<void> {
    let rv: string | undefined;
    while (!stop.signal.aborted) {
      let progressed = false;
      try {
        if (rv === undefined) {
          rv = await list();
          status.resourceVersion = rv;
        }
        const r = await watchFrom(rv);
        progressed = r.events > 0;
        if (r.rv === GONE) {
          rv = undefined;
          if (!progressed) fail(`watch ${resource}: resource version too old (410), listing again`);
        } else rv = r.rv;
      } catch (e: unknown) {
        if (stop.signal.aborted) break;
        fail(e instanceof Error ? e.message : String(e));
        // a failed list keeps rv undefined; a failed watch resumes from rv unless it was refused
        if (e instanceof K8sApiError) rv = undefined;
      }
      if (progressed) continue;
      status.failures++;
      await sleep(backoffDelay(attempt++, opts, random), setTimer, stop.signal);
    }
  }

  const done = loop();
  return {
    status: () => ({ ...status }),
    async close() {
      stop.abort();
      await done;
    },
  };
}
