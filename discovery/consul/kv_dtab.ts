/**
 * The dtab of an `io.l5d.consul.interpreter`: one Consul KV key, `<pathPrefix>/<namespace>`
 * (default `/namerd/dtabs/default`, where namerd's `io.l5d.consul` storage keeps it), read with
 * blocking queries (L1 `interpreter/consul/.../ConsulInterpreterInitializer.scala`,
 * `ConsulDtabCache.scala`; `consul/.../v1/KvApi.scala` `get`: `?raw=true&index=&dc=`), as a Var
 * the router binds with:
 *
 * - `undefined` until the agent first answers (Linkerd's Activity is Pending while its call is
 *   retried: names wait, up to the router's `bindingTimeoutMs`);
 * - the key's dentries once read; a value that does not parse keeps the last good dtab (Linkerd
 *   sets `Activity.Failed`, which the interpreter's `stabilize` turns into the last Ok value);
 *   with nothing good yet it is the empty dtab;
 * - the empty dtab when the key does not exist (404: `None` → `Dtab.empty`), the next query
 *   blocking on the 404's `X-Consul-Index`;
 * - an agent that fails or goes away keeps the last dtab; the query is retried with backoff,
 *   without an index (Linkerd's `cycle(None, backoffs)`).
 *
 * @module
 */
import type { Dtab } from "../../router/dtab/types.ts";
import { parseDtab, showDtab } from "../../router/dtab/dtab.ts";
import { dtabFileError } from "../../router/dtab/error_text.ts";
import type { Clock } from "../../router/core/clock.ts";
import { mutableVar, type Var } from "../../router/core/var.ts";
import { isoNow, sleep, timerFor } from "../_timer.ts";
import type { ConsulApi } from "./api.ts";

/** What the interpreter logs. */
export interface ConsulDtabLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode watchConsulDtab}. */
export interface ConsulDtabOptions {
  readonly api: ConsulApi;
  /** Close `api` with the watch. */
  readonly ownsApi?: boolean;
  /** Default `/namerd/dtabs`. */
  readonly pathPrefix?: string | undefined;
  /** Default `default`. */
  readonly namespace?: string | undefined;
  /** Default: the agent's. */
  readonly datacenter?: string | undefined;
  /** Retry backoff bounds after a failed query, default 1 ms .. 60000 ms (Linkerd's). */
  readonly minBackoffMs?: number | undefined;
  readonly maxBackoffMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly log?: ConsulDtabLog | undefined;
}

/**
 * The interpreter's state, for `/<router>/interpreter_state/io.l5d.consul.interpreter.json`:
 * Linkerd's `InstrumentedVar` snapshot and the poll (`InstrumentedApiCall`'s `PollState`).
 */
export interface ConsulDtabState {
  readonly state: {
    readonly running: boolean;
    readonly lastStartedAt: string;
    readonly lastUpdatedAt: string | null;
    /** The dtab in use (`Dtab.show`); `null` while pending. */
    readonly value: string | null;
  };
  readonly poll: {
    readonly request: string | null;
    readonly lastRequestAt: string | null;
    readonly lastResponseAt: string | null;
    /** The raw value of the last answer (`null` for a missing key). */
    readonly response: { readonly index: string | null; readonly value: string | null } | null;
    readonly error: string | null;
  };
  /** Switchyard: the last problem with the key's content (a dtab that does not parse). */
  readonly lastProblem: string | null;
}

/** A watched Consul KV dtab. */
export interface ConsulDtab {
  /** The dtab now; `undefined` until the agent has answered once. */
  readonly dtab: Var<Dtab | undefined>;
  /** The KV key read, e.g. `/namerd/dtabs/default`. */
  readonly key: string;
  /** Admin view. */
  state(): ConsulDtabState;
  /** Stop watching. */
  close(): Promise<void>;
}

function sameDtab(a: Dtab | undefined, b: Dtab | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return showDtab(a) === showDtab(b);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Start watching a Consul KV dtab.
 *
 * @param opts The API, the key's prefix and namespace, the datacenter.
 * @returns The dtab Var (pending until the first answer), its state, `close()`.
 * @example
 * ```ts ignore
 * import { createConsulApi } from "./api.ts";
 * import { watchConsulDtab } from "./kv_dtab.ts";
 * const kv = watchConsulDtab({ api: createConsulApi(), ownsApi: true, namespace: "internal" });
 * kv.dtab.get(); // undefined until the agent answers, then /namerd/dtabs/internal's dentries
 * await kv.close();
 * ```
 */
export function watchConsulDtab(opts: ConsulDtabOptions): ConsulDtab {
  const { api, log } = opts;
  const prefix = (opts.pathPrefix ?? "/namerd/dtabs").replace(/\/+$/, "");
  const namespace = opts.namespace ?? "default";
  const key = `${prefix}/${namespace}`;
  const setTimer = timerFor(opts.clock);
  const minBackoff = opts.minBackoffMs ?? 1;
  const maxBackoff = opts.maxBackoffMs ?? 60_000;
  const out = mutableVar<Dtab | undefined>(undefined, sameDtab);
  const startedAt = isoNow(opts.clock);
  let updatedAt: string | null = null;
  out.subscribe(() => updatedAt = isoNow(opts.clock));
  const closing = new AbortController();
  const poll = {
    request: null as string | null,
    lastRequestAt: null as string | null,
    lastResponseAt: null as string | null,
    response: null as { index: string | null; value: string | null } | null,
    error: null as string | null,
  };
  let lastProblem: string | undefined;
  const where = { key, datacenter: opts.datacenter };

  function apply(text: string | null): void {
    if (text === null) {
      if (lastProblem !== "missing") log?.warn("consul dtab key does not exist", where);
      lastProblem = "missing";
      out.set([]);
      return;
    }
    let dtab: Dtab;
    try {
      dtab = parseDtab(text);
    } catch (e: unknown) {
      const problem = `consul ns ${namespace} dtab parsing failed: ${dtabFileError(key, text, e)}`;
      const kept = out.get();
      if (problem !== lastProblem) {
        log?.error(problem, { ...where, kept: kept === undefined ? "" : showDtab(kept) });
      }
      lastProblem = problem;
      if (kept === undefined) out.set([]); // nothing good yet: the empty dtab
      return;
    }
    lastProblem = undefined;
    const changed = !sameDtab(out.get(), dtab);
    out.set(dtab);
    if (changed) log?.info("consul dtab loaded", { ...where, dtab: showDtab(dtab) });
  }

  async function loop(signal: AbortSignal): Promise<void> {
    let index: string | undefined;
    let attempt = 0;
    let failing = false;
    while (!signal.aborted) {
      const query = { datacenter: opts.datacenter, index };
      poll.request = api.describeKv(key, query);
      poll.lastRequestAt = isoNow(opts.clock);
      try {
        const answer = await api.kvGet(key, query, signal);
        poll.lastResponseAt = isoNow(opts.clock);
        poll.response = { index: answer.index ?? null, value: answer.value };
        poll.error = null;
        apply(answer.value);
        failing = false;
        attempt = 0;
        const same = answer.index !== undefined && answer.index === index;
        index = answer.index;
        // Without an index, or at the index asked for (a blocking query's timeout, or an agent
        // that does not block), pause a little so such an agent is not hammered.
        if (index === undefined || same) await sleep(1000, setTimer, signal);
        continue;
      } catch (e: unknown) {
        if (signal.aborted) return;
        const error = message(e);
        poll.lastResponseAt = isoNow(opts.clock);
        poll.error = error;
        poll.response = null;
        const fields = { ...where, error };
        if (!failing) log?.error(`consul ns ${namespace} dtab observation error`, fields);
        else log?.debug("consul dtab observation failed again", fields);
        failing = true;
      }
      index = undefined;
      const cap = Math.min(maxBackoff, minBackoff * 2 ** Math.min(attempt++, 30));
      await sleep(Math.max(minBackoff, Math.floor(Math.random() * (cap + 1))), setTimer, signal);
    }
  }

  const running = loop(closing.signal);

  return {
    dtab: out,
    key,
    state() {
      const d = out.get();
      return {
        state: {
          running: !closing.signal.aborted,
          lastStartedAt: startedAt,
          lastUpdatedAt: updatedAt,
          value: d === undefined ? null : showDtab(d),
        },
        poll: { ...poll },
        lastProblem: lastProblem === "missing" ? null : lastProblem ?? null,
      };
    },
    async close() {
      closing.abort();
      await running;
      if (opts.ownsApi) api.close();
    },
  };
}
