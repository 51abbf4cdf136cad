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

/** The SETTINGS keys an h2 server or client config (or `io.l5d.static` client entry) may set. */
export interface H2EndpointKeys {
  readonly initialStreamWindowBytes?: number | undefined;
  readonly maxFrameBytes?: number | undefined;
  readonly headerTableBytes?: number | undefined;
  readonly maxHeaderListBytes?: number | undefined;
  readonly maxHeaderListByts?: number | undefined;
}

/**
 * The SETTINGS of an h2 endpoint config (Linkerd's `H2EndpointConfig.withEndpointParams`), in a
 * fixed key order (so equal configs give equal JSON).
 */
export function h2EndpointSettings(s: H2EndpointKeys): H2Settings {
  const maxHeaderList = s.maxHeaderListBytes ?? s.maxHeaderListByts;
  return {
    ...(s.initialStreamWindowBytes ? { initialWindowSize: s.initialStreamWindowBytes } : {}),
    ...(s.maxFrameBytes ? { maxFrameSize: h2FrameSize(s.maxFrameBytes) } : {}),
    ...(s.headerTableBytes !== undefined ? { headerTableSize: s.headerTableBytes } : {}),
    ...(maxHeaderList !== undefined ? { maxHeaderListSize: maxHeaderList } : {}),
  };
}

/** An h2 server's SETTINGS from its config (L1 `protocol-h2.md` server parameters). */
export function h2Settings(s: H2ServerConfig): H2Settings {
  return { maxConcurrentStreams: s.maxConcurrentStreamsPerConnection, ...h2EndpointSettings(s) };
}

/** Load `node:http2` when a config has an h2 router (it costs ~10 MB; http-only skips it). */
export async function prepareH2(config: Config): Promise<void> {
  if (config.routers.some((r) => r.protocol === "h2")) await loadHttp2();
}
