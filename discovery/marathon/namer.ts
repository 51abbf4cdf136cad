/**
 * The `io.l5d.marathon` namer (L1 `namer/marathon/.../AppIdNamer.scala`; `linkerd/docs/namer.md`
 * "Marathon service discovery"): `/#/io.l5d.marathon/<appId...>[/residual...]` binds the tasks of
 * a Marathon app, e.g. `/#/io.l5d.marathon/appgroup/users/v1` → app `/appgroup/users`, residual
 * `/v1`.
 *
 * - The app list (`GET /v2/apps`) is polled every `ttlMs` ± `jitterMs` (5000 ± 50 ms), from the
 *   first lookup on. A name's segments are lowercased and the *shortest* leading part that is an
 *   app id (ids are lowercased too) is the app; the rest, as written, is the residual. No such
 *   app, or an empty name, is **Neg** (the dtab falls through).
 * - Each app found gets its own poll of `GET /v2/apps/<id>?embed=app.tasks` (same period). Its
 *   tasks give the endpoints (`apps.ts`; `useHealthCheck` keeps only healthy ones). An app with
 *   no (healthy) task is **Neg**, as Linkerd's `Addr.Neg`; the name then is Neg too.
 * - Pending until the first answer. A poll that fails before any answer is a failed lookup (the
 *   request fails with the error); after one, failures change nothing: the last app list and
 *   the last endpoints stay in use while the API is down, as in Linkerd.
 * - The bound id is `/<appId>` lowercased (qualified to `/#/io.l5d.marathon/<appId>` by the
 *   interpreter); one endpoint Var per app for the namer's lifetime, so clients follow updates.
 * - `state()` serves `/namer_state/io.l5d.marathon.json` in Linkerd's shape: a list of
 *   `{"/<appId>": {state: {running, lastStartedAt, lastStoppedAt, lastUpdatedAt, value}, watch:
 *   {request, lastRequestAt, response, lastResponseAt}}}`.
 * - `allNames()` (for `/bound-names.json`) lists the app ids of the last app list.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { mutableVar, type Var } from "../../router/core/var.ts";
import type { NameTree, Path } from "../../router/dtab/types.ts";
import type { Addr, Namer } from "../types.ts";
import {
  boundedCache,
  failed,
  leafBound,
  type Lookup,
  lookupEquals,
  NEG,
  PENDING,
} from "../_activity.ts";
import { derivedVar } from "../_derived.ts";
import { refreshedAddrs } from "../_refresh.ts";
import { makeBound } from "../bound.ts";
import { pathKey } from "../_path.ts";
import { isoNow, timerFor } from "../_timer.ts";
import type { MarathonApi } from "./api.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.marathon";

/** Options of {@linkcode createMarathonNamer}. */
export interface MarathonNamerOptions {
  /** The API client (closed with the namer). */
  readonly api: MarathonApi;
  /** Poll period, default 5000 ms (Linkerd `ttlMs`). */
  readonly ttlMs?: number;
  /** Each period is drawn from `ttlMs ± jitterMs`, default 50 (Linkerd `jitterMs`). */
  readonly jitterMs?: number;
  /** Random source in [0, 1) for the jitter; default the clock's, else `Math.random`. */
  readonly random?: () => number;
  readonly clock?: Clock | undefined;
}

/** One app in `/namer_state`. */
export interface MarathonAppState {
  readonly state: {
    readonly running: boolean;
    readonly lastStartedAt: string | null;
    readonly lastStoppedAt: string | null;
    readonly lastUpdatedAt: string | null;
    readonly value: unknown;
  };
  readonly watch: {
    readonly request: string | null;
    readonly lastRequestAt: string | null;
    readonly response: unknown;
    readonly lastResponseAt: string | null;
  };
}

/** The namer. */
export interface MarathonNamer extends Namer {
  state(): Record<string, MarathonAppState>[];
  allNames(): Promise<readonly Path[]>;
  close(): Promise<void>;
}

type Apps =
  | { readonly state: "pending" }
  | { readonly state: "ok"; readonly ids: ReadonlySet<string> }
  | { readonly state: "failed"; readonly error: string };

function appsEqual(a: Apps, b: Apps): boolean {
  if (a.state === "ok" && b.state === "ok") {
    return a.ids.size === b.ids.size && [...a.ids].every((id) => b.ids.has(id));
  }
  if (a.state === "failed" && b.state === "failed") return a.error === b.error;
  return a.state === b.state;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function neg(why: string): Lookup {
  const value: NameTree<never> = { type: "neg", why };
  return { state: "ok", value };
}

function showAddr(a: Addr): unknown {
  if (a.type === "bound") {
    return { type: "bound", addrs: a.addrs.map((x) => ({ ip: x.host, port: x.port, meta: {} })) };
  }
  return a.type === "failed" ? { type: "failed", cause: a.error } : { type: a.type };
}

interface Watch {
  readonly addr: Var<Addr>;
  readonly startedAt: string;
  lastUpdatedAt: string | null;
  request: string | null;
  lastRequestAt: string | null;
  response: unknown;
  lastResponseAt: string | null;
  /** The last answer, kept through later failures. */
  last?: Addr;
  off?: () => void;
}

/**
 * Make the `io.l5d.marathon` namer.
 *
 * @param opts The API client, poll period and jitter, clock.
 * @returns The namer; `close()` stops its polls and closes the client.
 * @example
 * ```ts
 * import { createMarathonApi } from "./api.ts";
 * import { createMarathonNamer } from "./namer.ts";
 * const api = createMarathonApi({
 *   host: "127.0.0.1", connectHost: "127.0.0.1", connectPort: 8080, uriPrefix: "",
 *   useHealthCheck: false,
 * });
 * const namer = createMarathonNamer({ api });
 * await namer.close();
 * ```
 */
export function createMarathonNamer(opts: MarathonNamerOptions): MarathonNamer {
  const { api, clock } = opts;
  const ttl = opts.ttlMs ?? 5000;
  const jitter = opts.jitterMs ?? 50;
  const random = opts.random ?? (clock ? () => clock.random() : Math.random);
  // MarathonConfig.nextTtl: (ttl + (random * 2 - 1) * jitter).toInt, drawn for every sleep.
  const nextTtl = () => Math.max(0, Math.trunc(ttl + (random() * 2 - 1) * jitter));
  const setTimer = timerFor(clock);
  const refreshed = refreshedAddrs(nextTtl, setTimer);
  const apps = mutableVar<Apps>({ state: "pending" }, appsEqual);
  const watches = new Map<string, Watch>();
  const lookups = boundedCache<Var<Lookup>>(1000);
  let closed = false;
  let appsStarted = false;
  let appsLoaded = false;
  let appsAbort: AbortController | undefined;
  let appsInflight: Promise<void> | undefined;
  let cancelAppsTimer: (() => void) | undefined;
  let firstApps: Promise<void> | undefined;
  let firstAppsDone: (() => void) | undefined;

  async function pollApps(): Promise<void> {
    if (closed) return;
    const abort = new AbortController();
    appsAbort = abort;
    try {
      const ids = await api.appIds(abort.signal);
      if (closed) return;
      appsLoaded = true;
      apps.set({ state: "ok", ids });
    } catch (e: unknown) {
      if (closed) return;
      // AppIdNamer: a failure before the first list fails the lookups; after it, nothing changes.
      if (!appsLoaded) apps.set({ state: "failed", error: `marathon: ${message(e)}` });
    }
    cancelAppsTimer = setTimer(nextTtl(), () => {
      appsInflight = pollApps();
    });
  }

  function startApps(): void {
    if (appsStarted || closed) return;
    appsStarted = true;
    firstApps = new Promise((resolve) => {
      const off = apps.subscribe(() => firstAppsDone?.());
      firstAppsDone = () => {
        off();
        resolve();
      };
    });
    appsInflight = pollApps();
  }

  function addrOf(app: string): Var<Addr> {
    const known = watches.get(app);
    if (known) return known.addr;
    const w: Partial<Watch> & { startedAt: string } = {
      startedAt: isoNow(clock),
      lastUpdatedAt: null,
      request: null,
      lastRequestAt: null,
      response: null,
      lastResponseAt: null,
    };
    const addr = refreshed.addr(app, `marathon ${app}`, async (signal) => {
      w.request = `GET ${api.appUri(app)}`;
      w.lastRequestAt = isoNow(clock);
      try {
        const { addrs, body } = await api.appAddresses(app, signal);
        w.response = body;
        w.lastResponseAt = isoNow(clock);
        w.last = addrs.length > 0 ? { type: "bound", addrs } : { type: "neg" };
        return w.last;
      } catch (e: unknown) {
        // AppIdNamer: once an app has answered, a failed poll leaves its state as it was.
        if (w.last) return w.last;
        throw e;
      }
    });
    const watch = Object.assign(w, { addr }) as Watch;
    watch.off = addr.subscribe(() => {
      watch.lastUpdatedAt = isoNow(clock);
    });
    watches.set(app, watch);
    return addr;
  }

  function compute(path: Path, read: <U>(v: Var<U>) => U): Lookup {
    const list = read(apps);
    if (list.state === "pending") return PENDING;
    if (list.state === "failed") return failed(list.error);
    const lower = path.map((s) => s.toLowerCase());
    for (let n = 1; n <= lower.length; n++) {
      const id = lower.slice(0, n);
      const key = `/${id.join("/")}`;
      if (!list.ids.has(key)) continue;
      const addr = addrOf(key);
      const a = read(addr);
      if (a.type === "pending") return PENDING;
      if (a.type === "failed") return failed(a.error);
      if (a.type === "neg") return neg(`marathon: app ${key} has no tasks`);
      return leafBound(makeBound(id, addr, path.slice(n)));
    }
    return neg(`marathon: no app id is a prefix of /${path.join("/")}`);
  }

  return {
    kind,
    lookup(path) {
      if (path.length === 0) return { get: () => NEG, subscribe: () => () => {} };
      const key = pathKey(path);
      const hit = lookups.get(key);
      if (hit) return hit;
      startApps();
      const v = derivedVar((read) => compute(path, read), lookupEquals);
      lookups.set(key, v);
      return v;
    },
    state() {
      return [...watches].map(([app, w]) => ({
        [app]: {
          state: {
            running: !closed,
            lastStartedAt: w.startedAt,
            lastStoppedAt: null,
            lastUpdatedAt: w.lastUpdatedAt,
            value: showAddr(w.addr.get()),
          },
          watch: {
            request: w.request,
            lastRequestAt: w.lastRequestAt,
            response: w.response,
            lastResponseAt: w.lastResponseAt,
          },
        },
      }));
    },
    async allNames() {
      startApps();
      await firstApps;
      const list = apps.get();
      if (list.state === "failed") throw new Error(list.error);
      if (list.state !== "ok") return [];
      return [...list.ids].sort().map((id) => id.split("/").filter((s) => s !== ""));
    },
    async close() {
      closed = true;
      firstAppsDone?.();
      cancelAppsTimer?.();
      appsAbort?.abort();
      for (const w of watches.values()) w.off?.();
      await Promise.allSettled([appsInflight, refreshed.close()]);
      lookups.clear();
      api.close();
    },
  };
}
