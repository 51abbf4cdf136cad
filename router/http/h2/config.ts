/**
 * What the linker needs for h2 routers: their servers' HTTP/2 SETTINGS from the config, and
 * `node:http2` loaded before they are built (only when a config has one).
 *
 * @module
 */
import type { Config } from "../../config/mod.ts";
import type { H2ServerConfig } from "../../config/router_schema.ts";
import type { H2Settings } from "./h2_server.ts";
import { loadHttp2 } from "./node_http2.ts";

/**
 * The SETTINGS_MAX_FRAME_SIZE to send for a configured `maxFrameBytes`: the value within the
 * range HTTP/2 allows (16384–16777215; node:http2 refuses others), as Linkerd's config takes any
 * int.
 */
export function h2FrameSize(bytes: number): number {
  return Math.min(16777215, Math.max(16384, bytes));
}

/** An h2 server's SETTINGS from its config (L1 `protocol-h2.md` server parameters). */
export function h2Settings(s: H2ServerConfig): H2Settings {
  const maxHeaderList = s.maxHeaderListBytes ?? s.maxHeaderListByts;
  return {
    maxConcurrentStreams: s.maxConcurrentStreamsPerConnection,
    ...(s.initialStreamWindowBytes ? { initialWindowSize: s.initialStreamWindowBytes } : {}),
    ...(s.maxFrameBytes ? { maxFrameSize: h2FrameSize(s.maxFrameBytes) } : {}),
    ...(s.headerTableBytes !== undefined ? { headerTableSize: s.headerTableBytes } : {}),
    ...(maxHeaderList !== undefined ? { maxHeaderListSize: maxHeaderList } : {}),
  };
}

/** Load `node:http2` when a config has an h2 router (it costs ~10 MB; http-only skips it). */
export async function prepareH2(config: Config): Promise<void> {
  if (config.routers.some((r) => r.protocol === "h2")) await loadHttp2();
}
