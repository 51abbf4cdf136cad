/**
 * The HTTP access log (`routers[].httpAccessLog`, off by default): one line per request, in
 * Linkerd's layout (`io.buoyant.linkerd.protocol.http.AccessLogger`) or as JSON
 * (`httpAccessLogFormat: json`).
 *
 * `common` (Linkerd's format: Host, then the NCSA common fields, then referer and user agent;
 * the target is the one forwarded, after `io.l5d.path` `consume`, as Linkerd logs it in its
 * client stack):
 * ```
 * hello 127.0.0.1 - - [26/11/2026:00:17:20 UTC] "GET /a?b=1 HTTP/1.1" 200 52 "-" "curl/8.5.0"
 * ```
 * The time is `dd/MM/yyyy:HH:mm:ss z` like Linkerd's, in UTC; the byte count is the response's
 * `Content-Length`, `-` when unknown (streamed), as Linkerd did. The protocol is the request's:
 * `HTTP/1.0` or `HTTP/1.1` from the raw engine, `HTTP/2.0` on h2 routers (`Deno.serve` listeners
 * do not tell h1 from h2c: `HTTP/1.1`). Unlike Linkerd, requests that end in a router
 * error are logged too, with the status the client got.
 *
 * `h2` (`protocol: h2` routers' `h2AccessLog`, Linkerd's h2 `AccessLogger`): the same fields, but
 * the time zone as an offset (`dd/MM/yyyy:HH:mm:ss Z`: `+0000`), the protocol `HTTP/2` and the
 * byte count always `-`:
 * ```
 * web 127.0.0.1 - - [26/11/2026:00:17:20 +0000] "POST /hello.Greeter/Say HTTP/2" 200 - "-" "grpc"
 * ```
 *
 * `json`: `{"ts","router","host","remote","method","target","protocol","status","bytes",
 * "durationMs","referer","userAgent","service","client","traceId"}`, one object per line.
 *
 * Off the response path: the filter only records a small entry; formatting and the file write
 * happen in a background pump that writes everything queued in one `write`, so lines batch up
 * under load. Pending output is capped (`maxPendingBytes`, default 4 MiB); past it lines are
 * dropped and counted, never blocking requests. `close()` writes the rest and closes the file.
 * `httpAccessLogAppend: false` truncates at start. `httpAccessLogRollPolicy` and
 * `httpAccessLogRotateCount` roll the file as Linkerd's (twitter-util's FileHandler): see
 * `log_roll.ts`.
 *
 * Stack position: the top of the server level (above tracing), so it sees the final status.
 *
 * @module
 */
import type { Ctx } from "../router/core/ctx.ts";
import type { Filter } from "../router/core/service.ts";
import { findSwitchyardError } from "../router/core/errors.ts";
import type { Logger } from "./log.ts";
import { httpVersion } from "../router/http/raw/request_parts.ts";
import { nextRollTime, rollFile, type RollPolicy } from "./log_roll.ts";

/** `httpAccessLogFormat` (`h2`: the layout of `protocol: h2` routers' `h2AccessLog`). */
export type AccessLogFormat = "common" | "json" | "h2";

/** One logged request. */
export interface AccessLogEntry {
  /** Epoch ms when the response (or error) was produced. */
  readonly timeMs: number;
  readonly durationMs: number;
  readonly router: string;
  /** Host header value, `-` when absent. */
  readonly host: string;
  readonly remote: string;
  readonly method: string;
  /** Origin-form target as forwarded (`/path?query`; after `io.l5d.path` `consume`). */
  readonly target: string;
  /** `HTTP/1.1`, `HTTP/1.0` or `HTTP/2.0`; absent: `HTTP/1.1`. */
  readonly protocol?: string;
  readonly status: number;
  /** Response Content-Length, undefined when unknown. */
  readonly bytes: number | undefined;
  readonly referer: string;
  readonly userAgent: string;
  readonly service: string;
  readonly client: string;
  readonly traceId: string;
}

const p2 = (n: number) => (n < 10 ? "0" : "") + n;

/**
 * Linkerd's access-log time: `dd/MM/yyyy:HH:mm:ss z`, in UTC.
 *
 * @example
 * ```ts
 * import { accessLogTime } from "./access_log.ts";
 * accessLogTime(Date.UTC(2026, 10, 26, 0, 17, 20)); // "26/11/2026:00:17:20 UTC"
 * ```
 */
export function accessLogTime(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}:` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC`;
}

function quoted(s: string): string {
  // deno-lint-ignore no-control-regex -- control characters must not break a log line
  return s.replace(/[\\"]/g, "\\$&").replace(/[\x00-\x1f\x7f]/g, " ");
}

/**
 * Format an entry in Linkerd's access-log layout (no newline).
 *
 * @example
 * ```ts
 * import { formatCommon } from "./access_log.ts";
 * formatCommon({
 *   timeMs: Date.UTC(2026, 10, 26), durationMs: 1, router: "r", host: "hello",
 *   remote: "127.0.0.1", method: "GET", target: "/", status: 200, bytes: 5, referer: "-",
 *   userAgent: "curl", service: "/svc/hello", client: "", traceId: "",
 * }); // 'hello 127.0.0.1 - - [26/11/2026:00:00:00 UTC] "GET / HTTP/1.1" 200 5 "-" "curl"'
 * ```
 */
export function formatCommon(e: AccessLogEntry): string {
  return `${quoted(e.host)} ${e.remote || "-"} - - [${accessLogTime(e.timeMs)}] ` +
    `"${e.method} ${quoted(e.target)} ${e.protocol ?? "HTTP/1.1"}" ${e.status} ${e.bytes ?? "-"} ` +
    `"${quoted(e.referer)}" "${quoted(e.userAgent)}"`;
}

/**
 * Format an entry in the layout of Linkerd's h2 access log (no newline): as
 * {@link formatCommon}, but `[dd/MM/yyyy:HH:mm:ss +0000]`, `HTTP/2` and no byte count
 * (`finagle/h2/.../AccessLogger.scala`).
 *
 * @example
 * ```ts
 * import { formatH2 } from "./access_log.ts";
 * formatH2({
 *   timeMs: Date.UTC(2026, 10, 26), durationMs: 1, router: "r", host: "web",
 *   remote: "127.0.0.1", method: "POST", target: "/a.B/C", status: 200, bytes: 5, referer: "-",
 *   userAgent: "grpc", service: "/svc/a.B", client: "", traceId: "",
 * }); // 'web 127.0.0.1 - - [26/11/2026:00:00:00 +0000] "POST /a.B/C HTTP/2" 200 - "-" "grpc"'
 * ```
 */
export function formatH2(e: AccessLogEntry): string {
  return `${quoted(e.host)} ${e.remote || "-"} - - [${
    accessLogTime(e.timeMs).slice(0, -3)
  }+0000] ` +
    `"${e.method} ${quoted(e.target)} HTTP/2" ${e.status} - ` +
    `"${quoted(e.referer)}" "${quoted(e.userAgent)}"`;
}

/**
 * Format an entry as one JSON object (no newline).
 *
 * @example
 * ```ts
 * import { formatJson } from "./access_log.ts";
 * JSON.parse(formatJson({
 *   timeMs: 0, durationMs: 1, router: "r", host: "hello", remote: "127.0.0.1", method: "GET",
 *   target: "/", status: 200, bytes: undefined, referer: "-", userAgent: "-", service: "",
 *   client: "", traceId: "",
 * })).status; // 200
 * ```
 */
export function formatJson(e: AccessLogEntry): string {
  return JSON.stringify({
    ts: new Date(e.timeMs).toISOString(),
    router: e.router,
    host: e.host,
    remote: e.remote,
    method: e.method,
    target: e.target,
    protocol: e.protocol ?? "HTTP/1.1",
    status: e.status,
    bytes: e.bytes ?? null,
    durationMs: Math.round(e.durationMs * 1000) / 1000,
    referer: e.referer,
    userAgent: e.userAgent,
    service: e.service,
    client: e.client,
    traceId: e.traceId,
  });
}

/** Options of {@link openAccessLog}. */
export interface AccessLogOptions {
  /** `httpAccessLog`. */
  readonly path: string;
  /** `httpAccessLogFormat` (default `common`). */
  readonly format?: AccessLogFormat;
  /** `httpAccessLogAppend` (default true; false truncates at start). */
  readonly append?: boolean;
  /** Router label (JSON `router`). */
  readonly router: string;
  /** `httpAccessLogRollPolicy`, parsed (default never). */
  readonly rollPolicy?: RollPolicy;
  /** `httpAccessLogRotateCount`: rolled files kept (default -1: all). */
  readonly rotateCount?: number;
  /** Cap on queued output (default 4 MiB). */
  readonly maxPendingBytes?: number;
  /** Epoch ms (default `Date.now`). */
  readonly now?: () => number;
  readonly log?: Logger;
}

/** An open access log. */
export interface AccessLog {
  /** The server-level filter that records each request. */
  readonly filter: Filter;
  /** Resolves when everything queued so far is written. */
  flush(): Promise<void>;
  /** Write the rest and close the file; later requests are not logged. */
  close(): Promise<void>;
  /** Lines written and dropped so far. */
  stats(): { written: number; dropped: number };
}

/**
 * Open (create) the access log file and make its filter.
 *
 * @throws Deno.errors.NotFound / PermissionDenied when the file cannot be opened.
 * @example
 * ```ts
 * import { openAccessLog } from "./access_log.ts";
 * const path = await Deno.makeTempFile();
 * const log = openAccessLog({ path, router: "outgoing" });
 * await log.close();
 * ```
 */
export function openAccessLog(opts: AccessLogOptions): AccessLog {
  const append = opts.append ?? true;
  const open = () =>
    Deno.openSync(opts.path, { write: true, create: true, append, truncate: !append });
  let file = open();
  const policy: RollPolicy = opts.rollPolicy ?? { kind: "never" };
  const rotateCount = opts.rotateCount ?? -1;
  const maxSize = policy.kind === "maxSize" ? policy.bytes : Infinity;
  const format = opts.format === "json"
    ? formatJson
    : opts.format === "h2"
    ? formatH2
    : formatCommon;
  const maxPending = opts.maxPendingBytes ?? 4 * 1024 * 1024;
  const now = opts.now ?? Date.now;
  let openedMs = now();
  let rollAt = nextRollTime(policy, openedMs) ?? Infinity;
  let fileBytes = 0; // written since the file was opened (twitter-util counts from there too)
  const enc = new TextEncoder();
  let queue: AccessLogEntry[] = [];
  let pendingBytes = 0;
  let pump: Promise<void> | undefined;
  let closed = false;
  let written = 0, dropped = 0;

  async function writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    fileBytes += bytes.length;
  }

  /** Close the file, rename it to its rolled name, open a new one. */
  async function roll(): Promise<void> {
    file.close();
    try {
      await rollFile(opts.path, policy, openedMs, rotateCount);
    } catch (err: unknown) {
      opts.log?.warn("access log roll failed", { path: opts.path, error: err });
    }
    openAgain();
  }

  /** Open the log file anew: its age and size count from now. */
  function openAgain(): void {
    file = open();
    openedMs = now();
    rollAt = nextRollTime(policy, openedMs) ?? Infinity;
    fileBytes = 0;
  }

  /** `sighup`: reopen the file (an external logrotate moved it), as twitter-util does. */
  const reopen = () => {
    if (closed) return;
    const old = file;
    openAgain();
    old.close();
  };
  if (policy.kind === "sighup") Deno.addSignalListener("SIGHUP", reopen);

  /** The batch's lines, rolled by size as twitter-util checks each line before writing it. */
  async function writeSized(batch: AccessLogEntry[]): Promise<void> {
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    const flushChunk = async () => {
      if (chunkBytes === 0) return;
      const all = new Uint8Array(chunkBytes);
      let o = 0;
      for (const c of chunk) all.set(c, o), o += c.length;
      chunk = [];
      chunkBytes = 0;
      await writeAll(all);
    };
    for (const e of batch) {
      const line = enc.encode(format(e) + "\n");
      if (fileBytes + chunkBytes + line.length > maxSize) {
        await flushChunk();
        if (fileBytes > 0) await roll(); // a line over the size alone goes in a file of its own
      }
      chunk.push(line);
      chunkBytes += line.length;
    }
    await flushChunk();
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      pendingBytes = 0;
      try {
        if (now() > rollAt) await roll();
        if (maxSize !== Infinity) await writeSized(batch);
        else {
          let text = "";
          for (const e of batch) text += format(e) + "\n";
          await writeAll(enc.encode(text));
        }
        written += batch.length;
      } catch (err: unknown) {
        dropped += batch.length;
        opts.log?.warn("access log write failed", { path: opts.path, error: err });
      }
    }
  }

  function kick(): Promise<void> {
    pump ??= drain().finally(() => (pump = undefined));
    return pump;
  }

  function record(entry: AccessLogEntry): void {
    // ~ line length; exactness does not matter for a memory cap
    const size = 120 + entry.target.length + entry.userAgent.length + entry.referer.length;
    if (closed || pendingBytes + size > maxPending) {
      dropped++;
      return;
    }
    queue.push(entry);
    pendingBytes += size;
    void kick();
  }

  function entry(req: Request, ctx: Ctx, status: number, len: string | null): AccessLogEntry {
    const t = now();
    const h = req.headers;
    const bytes = len === null ? undefined : Number(len);
    return {
      timeMs: t,
      durationMs: t - ctx.startMs,
      router: opts.router,
      host: h.get("host") ?? (ctx.host || "-"),
      remote: ctx.remoteAddr,
      method: req.method,
      // As forwarded: Linkerd's AccessLogger sits in the client stack, so it logs the URI after
      // `io.l5d.path` with `consume` has removed the identified segments.
      target: ctx.target,
      protocol: `HTTP/${httpVersion(req)}`,
      status,
      bytes: bytes !== undefined && Number.isFinite(bytes) ? bytes : undefined,
      referer: h.get("referer") ?? "-",
      userAgent: h.get("user-agent") ?? "-",
      service: ctx.dstStr,
      client: ctx.bound?.idStr ?? "",
      traceId: ctx.traceId,
    };
  }

  const filter: Filter = async function accessLog(req, ctx, next) {
    try {
      const rsp = await next(req, ctx);
      record(entry(req, ctx, rsp.status, rsp.headers.get("content-length")));
      return rsp;
    } catch (e: unknown) {
      record(entry(req, ctx, findSwitchyardError(e)?.status ?? 502, null));
      throw e;
    }
  };

  return {
    filter,
    flush: async () => {
      while (pump || queue.length > 0) await kick();
    },
    async close() {
      if (closed) return;
      closed = true;
      while (pump || queue.length > 0) await kick();
      if (policy.kind === "sighup") Deno.removeSignalListener("SIGHUP", reopen);
      file.close();
    },
    stats: () => ({ written, dropped }),
  };
}
