/**
 * `/logging.json` (L1 admin), as Linkerd's `LoggingApiHandler`: `GET` lists the loggers as
 * `[{"logger":"root","level":"INFO"}]` (twitter-util level names), `POST` with `logger` and
 * `level` as query parameters or a form (Finagle's `req.params`; a JSON body works too) changes
 * the level at runtime; other methods answer 405. A control endpoint: with
 * `admin.security.controlEnabled: false` the admin server answers 404 for every method, as
 * Linkerd's SecurityFilter does (`security.ts`).
 *
 * There is one logger, `root`: the process's {@linkcode Logger}. With `--workers N` this is the
 * main isolate's logger; each worker keeps the level it started with.
 *
 * @module
 */
import { AdminBodyTooLarge, type AdminHandler, readAdminBody } from "./handler.ts";
import type { Logger, LogLevel } from "../log.ts";

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "off"];
/** twitter-server / java.util.logging names accepted too. */
const ALIASES: Record<string, LogLevel> = {
  warning: "warn",
  all: "debug",
  trace: "debug",
  fatal: "error",
  critical: "error",
};

function parseLevel(text: string): LogLevel | undefined {
  const l = text.trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(l) ? l as LogLevel : ALIASES[l];
}

/** twitter-util's name for each level (`com.twitter.logging.Level`), as Linkerd reports it. */
const LINKERD_NAMES: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  off: "OFF",
};

/** The query parameters, then the body's (a form, or JSON with `content-type: …json`). */
async function readParams(req: Request): Promise<Record<string, unknown>> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  const type = req.headers.get("content-type") ?? "";
  const text = await readAdminBody(req);
  if (text.trim() === "") return query;
  const body = type.includes("application/json")
    ? JSON.parse(text) as Record<string, unknown>
    : Object.fromEntries(new URLSearchParams(text));
  return { ...query, ...body };
}

/**
 * `GET` and `POST /logging.json` for `log`.
 *
 * @param log The process's logger; without `level`/`setLevel` the level is reported as
 *   `unknown` and a change answers 501.
 * @returns The two admin handlers.
 * @example
 * ```ts
 * import { loggingHandlers } from "./logging_handler.ts";
 * import { createLogger } from "../log.ts";
 * const [get] = loggingHandlers(createLogger({ level: "warn" }));
 * console.log(await (await get!.handler(new Request("http://x/logging.json"))).json());
 * // [ { logger: "root", level: "WARNING" } ]
 * ```
 */
export function loggingHandlers(log: Logger): AdminHandler[] {
  const state = () => {
    const level = log.level?.();
    return [{ logger: "root", level: level ? LINKERD_NAMES[level] : "unknown" }];
  };
  return [
    {
      path: "/logging.json",
      handler: (req) =>
        req.method === "GET" || req.method === "HEAD"
          ? Response.json(state())
          : new Response(null, { status: 405, headers: { allow: "GET, POST" } }),
    },
    {
      path: "/logging.json",
      method: "POST",
      handler: async (req) => {
        let body: Record<string, unknown>;
        try {
          body = await readParams(req);
        } catch (e: unknown) {
          if (e instanceof AdminBodyTooLarge) {
            return Response.json({ error: e.message }, { status: e.status });
          }
          return Response.json({ error: "body must be JSON or a form" }, { status: 400 });
        }
        const logger = typeof body.logger === "string" && body.logger !== "" ? body.logger : "root";
        if (logger !== "root") {
          return Response.json({ error: `no logger ${logger} (loggers: root)` }, { status: 404 });
        }
        const level = typeof body.level === "string" ? parseLevel(body.level) : undefined;
        if (!level) {
          return Response.json({
            error: `level must be one of ${LEVELS.join(", ")}, got ${String(body.level)}`,
          }, { status: 400 });
        }
        if (!log.setLevel) {
          return Response.json({ error: "this logger's level is fixed" }, { status: 501 });
        }
        const from = log.level?.();
        log.setLevel(level);
        log.info("log level changed via admin", { logger, from, to: level });
        return Response.json(state());
      },
    },
  ];
}
