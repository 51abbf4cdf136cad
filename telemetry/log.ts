/**
 * Structured logging: one line per event, `text` (`2026-11-25T12:00:00.000Z INFO msg k=v`) or
 * `json` (`{"ts":…,"level":"info","msg":…,…}`), to stderr. The logger is a value passed in, not
 * a global, so two routers in one process (hot reload, tests) log independently.
 *
 * @module
 */

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

/** Output format. */
export type LogFormat = "text" | "json";

/** A logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** True when `level` would be written (skip building expensive fields otherwise). */
  enabled(level: LogLevel): boolean;
  /** The current minimum level (absent on loggers that cannot report it). */
  level?(): LogLevel;
  /** Change the minimum level at runtime (`/logging.json`; absent on fixed-level loggers). */
  setLevel?(level: LogLevel): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

/** Logger options. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Where lines go (default: stderr). */
  readonly write?: (line: string) => void;
}

const enc = new TextEncoder();

function stderrWrite(line: string): void {
  try {
    Deno.stderr.writeSync(enc.encode(line + "\n"));
  } catch {
    // stderr closed: nothing to do
  }
}

function textValue(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v) ?? String(v);
}

/**
 * Make a logger.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", write: (l) => lines.push(l) });
 * log.info("listening", { port: 4140 });
 * log.setLevel?.("debug"); // e.g. from POST /logging.json
 * ```
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  let current: LogLevel = opts.level ?? "info";
  let min = RANK[current];
  const format = opts.format ?? "text";
  const write = opts.write ?? stderrWrite;
  function emit(level: Exclude<LogLevel, "off">, msg: string, fields?: Record<string, unknown>) {
    if (RANK[level] < min) return;
    const ts = new Date().toISOString();
    if (format === "json") {
      const rec: Record<string, unknown> = { ts, level, msg };
      if (fields) {
        for (const [k, v] of Object.entries(fields)) rec[k] = v instanceof Error ? v.message : v;
      }
      write(JSON.stringify(rec));
      return;
    }
    let line = `${ts} ${level.toUpperCase()} ${msg}`;
    if (fields) { for (const [k, v] of Object.entries(fields)) line += ` ${k}=${textValue(v)}`; }
    write(line);
  }
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled: (l) => RANK[l] >= min,
    level: () => current,
    setLevel(next) {
      current = next;
      min = RANK[next];
    },
  };
}
