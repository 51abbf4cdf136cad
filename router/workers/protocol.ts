/**
 * The messages between the `--workers` main and its workers (structured-cloneable plain data).
 * Every request but `start` carries a `seq` the reply echoes. Configs travel validated (the main
 * validated them, in a `config-json` child), so workers never load the config parser (issue 6).
 *
 * @module
 */
import type { LogFormat, LogLevel } from "../../telemetry/log.ts";
import type { RegistrySnapshot } from "../../telemetry/metrics/merge.ts";
import type { Config } from "../config/schema.ts";
import type { ClientState } from "../client_state.ts";
import type { RecentRequest } from "../../telemetry/recent_requests.ts";

/** What a worker's admin pages show besides metrics, sent with every `metrics` reply. */
export interface WorkerViews {
  /** Its `/client_state.json`. */
  readonly clients: Record<string, ClientState>;
  /** Its `io.l5d.recentRequests` sample, newest first. */
  readonly recent: readonly RecentRequest[];
}

/** A router server whose configured port 0 the main replaced with a real one. */
export interface PortOverride {
  /** Router label. */
  readonly label: string;
  /** Index in `servers[]`. */
  readonly index: number;
  /** The port every worker binds (with SO_REUSEPORT). */
  readonly port: number;
}

/** Main → worker. */
export type ToWorker =
  | {
    readonly t: "start";
    readonly id: number;
    readonly config: Config;
    readonly overrides: readonly PortOverride[];
    readonly logLevel: LogLevel;
    readonly logFormat: LogFormat;
  }
  | {
    readonly t: "reload";
    readonly seq: number;
    readonly config: Config;
    readonly overrides: readonly PortOverride[];
  }
  | { readonly t: "metrics"; readonly seq: number }
  /** `/namer_state/<prefix>.json` of the worker's namer. */
  | { readonly t: "namerState"; readonly seq: number; readonly prefix: string }
  /** `/bound-names.json` of the worker's namers. */
  | { readonly t: "boundNames"; readonly seq: number }
  | { readonly t: "stop"; readonly seq: number };

/** Worker → main. */
export type FromWorker =
  | { readonly t: "started" }
  | { readonly t: "failed"; readonly error: string }
  | {
    readonly t: "reply";
    readonly seq: number;
    readonly ok: boolean;
    readonly error?: string;
    readonly metrics?: RegistrySnapshot;
    readonly views?: WorkerViews;
    /** The answer to `namerState` (absent: no such namer). */
    readonly state?: unknown;
    /** The answer to `boundNames`. */
    readonly names?: readonly string[];
  };
