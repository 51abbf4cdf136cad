/**
 * The server options that add request headers on the way upstream (Linkerd 1.x
 * `servers[].addForwardedHeader` and `servers[].timestampHeader`):
 *
 * - {@linkcode ForwardedHeader}: builds one RFC 7239 `Forwarded` element per request,
 *   `by=<by>;for=<for>[;host=<Host>][;proto=<scheme>]`, from the configured labelers
 *   (L1 `router/http/.../AddForwardedHeader.scala`, `ForwardedHeaderLabeler.scala`). As
 *   Linkerd's, `host` is the Host as sent (not quoted) and `proto` is there only when the request
 *   target is absolute-form (`GET http://hello/ HTTP/1.1`, an http_proxy client): it is the
 *   target's scheme. On h2 listeners the element is Linkerd's `H2AddForwardedHeader`'s,
 *   `;authority=<:authority>;proto=<:scheme>`. The transport appends it after any inbound
 *   `Forwarded` header, so a chain of proxies reads in order.
 * - {@linkcode serverHeaders}: the per-listener function the server calls once per request to
 *   put these headers on `ctx.addHeaders`; `null` when neither option is set (zero cost).
 *
 * Labelers (`by` labels the listener's address, `for` the client's):
 * - `ip`: `192.0.2.43`, `"[2001:db8::17]"`; a wildcard address (`0.0.0.0`, `::`) is `unknown`.
 * - `ip:port`: `"192.0.2.43:4140"`, `"[2001:db8::17]:4140"`.
 * - `requestRandom`: `_` + 6 random letters and digits (`_6Oq8jJ`, Linkerd's ObfuscatedRandom),
 *   new for each request.
 * - `connectionRandom`: the same, drawn once per client connection.
 * - `router`: `_<router label>`; `static`: `_<label>` (Linkerd's ObfuscatedStatic: a label that
 *   already starts with `_` is kept as is).
 *
 * @module
 */
import type { AddForwardedHeaderConfig } from "../config/router_schema.ts";
import type { Ctx } from "../core/ctx.ts";
import { H } from "./headers.ts";
import { requestParts } from "./raw/request_parts.ts";

/** One `by` / `for` labeler config (`ip`, `ip:port`, `connectionRandom`, ...). */
export type ForwardedLabelerConfig = AddForwardedHeaderConfig["by"];

/** What the server knows about the connection a request came on. */
export interface ConnInfo {
  readonly remoteAddr: Deno.NetAddr;
}

/** Options of {@linkcode ForwardedHeader}. */
export interface ForwardedOptions {
  /** Router label, for the `router` labeler. */
  readonly router: string;
  /** An h2 listener: `authority=` and `proto=` from the pseudo-headers (H2AddForwardedHeader). */
  readonly h2?: boolean;
  /** The listener's bound address, labelled by `by`. */
  readonly local: Deno.NetAddr;
  /**
   * The engine hands the same `info` object to every request of one connection (the raw engine
   * does): per-connection labels are kept on it. Otherwise (`Deno.serve`, one object per request)
   * a connection is known by its remote `ip:port`.
   */
  readonly stableConnInfo: boolean;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Scala's `rng.alphanumeric.take(6)` in Linkerd's ObfuscatedRandom. */
const RANDOM_CHARS = 6;
/** 4 × 62: bytes at or above it are skipped, so every character is equally likely. */
const BYTE_LIMIT = 248;
/** Serve engine: remembered connections (by remote `ip:port`), oldest dropped first. */
const MAX_CONNS = 4096;

/** Random bytes drawn in batches: one `getRandomValues` call per ~80 labels. */
class RandomLabels {
  #buf = new Uint8Array(512);
  #pos = this.#buf.length;

  /** `_` + 6 letters and digits. */
  next(): string {
    const b = this.#buf;
    let s = "_";
    while (s.length <= RANDOM_CHARS) {
      if (this.#pos === b.length) {
        crypto.getRandomValues(b);
        this.#pos = 0;
      }
      const v = b[this.#pos++]!;
      if (v < BYTE_LIMIT) s += ALPHABET[v % 62];
    }
    return s;
  }
}

function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "0:0:0:0:0:0:0:0";
}

/**
 * The `ip` labeler: an IPv4 address bare, an IPv6 one bracketed and quoted, a wildcard `unknown`.
 *
 * @example
 * ```ts
 * import { ipLabel } from "./forwarded.ts";
 * ipLabel("::1"); // "\"[::1]\""
 * ```
 */
export function ipLabel(ip: string): string {
  if (isWildcard(ip)) return "unknown";
  return ip.includes(":") ? `"[${ip}]"` : ip;
}

/**
 * The `ip:port` labeler: `"<ip>:<port>"` (IPv6 bracketed), always quoted; a wildcard `unknown`.
 *
 * @example
 * ```ts
 * import { ipPortLabel } from "./forwarded.ts";
 * ipPortLabel("127.0.0.1", 4140); // "\"127.0.0.1:4140\""
 * ```
 */
export function ipPortLabel(ip: string, port: number): string {
  if (isWildcard(ip)) return "unknown";
  return ip.includes(":") ? `"[${ip}]:${port}"` : `"${ip}:${port}"`;
}

/** An obfuscated static label: `_` prefixed unless it has one (L1 ObfuscatedStatic). */
export function obfuscatedLabel(label: string): string {
  const l = label.startsWith("_") ? label : `_${label}`;
  return /^[A-Za-z0-9._-]+$/.test(l) ? l : quote(l);
}

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, "\\$&")}"`;
}

/** A compiled labeler: a constant, a function of the address, or random (per request / conn). */
type Labeler =
  | { readonly kind: "const"; readonly value: string }
  | { readonly kind: "addr"; readonly label: (a: Deno.NetAddr) => string }
  | { readonly kind: "request" }
  | { readonly kind: "connection" };

function compile(c: ForwardedLabelerConfig, router: string): Labeler {
  switch (c.kind) {
    case "ip":
      return { kind: "addr", label: (a) => ipLabel(a.hostname) };
    case "ip:port":
      return { kind: "addr", label: (a) => ipPortLabel(a.hostname, a.port) };
    case "requestRandom":
      return { kind: "request" };
    case "connectionRandom":
      return { kind: "connection" };
    case "router":
      return { kind: "const", value: obfuscatedLabel(router) };
    case "static":
      return { kind: "const", value: obfuscatedLabel(c.label) };
  }
}

/** Per-connection labels: `[by, for]`, drawn on first use. */
type ConnLabels = [string | undefined, string | undefined];

/** Builds the `Forwarded` element of one listener's requests. */
export class ForwardedHeader {
  readonly #by: Labeler;
  readonly #for: Labeler;
  /** `by` when it does not depend on the request or connection. */
  readonly #byConst: string | undefined;
  readonly #local: Deno.NetAddr;
  /** `;host=` (HTTP/1) or `;authority=` (h2). */
  readonly #hostKey: string;
  readonly #random = new RandomLabels();
  readonly #perConn: boolean;
  readonly #stable: boolean;
  readonly #byInfo = new WeakMap<object, ConnLabels>();
  readonly #byAddr = new Map<string, ConnLabels>();

  /**
   * @param config the `addForwardedHeader` block (labelers already defaulted by the schema)
   * @param opts router label, TLS, the listener address, the engine's connection identity
   */
  constructor(config: AddForwardedHeaderConfig, opts: ForwardedOptions) {
    this.#by = compile(config.by, opts.router);
    this.#for = compile(config.for, opts.router);
    this.#local = opts.local;
    this.#hostKey = opts.h2 ? ";authority=" : ";host=";
    this.#stable = opts.stableConnInfo;
    this.#perConn = this.#by.kind === "connection" || this.#for.kind === "connection";
    const b = this.#by;
    this.#byConst = b.kind === "const"
      ? b.value
      : b.kind === "addr"
      ? b.label(opts.local)
      : undefined;
  }

  /**
   * The `Forwarded` element for one request.
   *
   * @param host the request's Host (h2: `:authority`), as sent; omitted when empty
   * @param info the connection the request came on
   * @param proto the scheme of an absolute-form target (h2: `:scheme`); omitted when undefined
   */
  value(host: string, info: ConnInfo, proto?: string): string {
    const conn = this.#perConn ? this.#conn(info) : undefined;
    const by = this.#byConst ?? this.#label(this.#by, this.#local, conn, 0);
    const fr = this.#label(this.#for, info.remoteAddr, conn, 1);
    const h = host ? this.#hostKey + host : "";
    return proto === undefined ? `by=${by};for=${fr}${h}` : `by=${by};for=${fr}${h};proto=${proto}`;
  }

  #label(l: Labeler, addr: Deno.NetAddr, conn: ConnLabels | undefined, slot: 0 | 1): string {
    switch (l.kind) {
      case "const":
        return l.value;
      case "addr":
        return l.label(addr);
      case "request":
        return this.#random.next();
      case "connection":
        return (conn![slot] ??= this.#random.next());
    }
  }

  #conn(info: ConnInfo): ConnLabels {
    if (this.#stable) {
      let c = this.#byInfo.get(info);
      if (!c) this.#byInfo.set(info, c = [undefined, undefined]);
      return c;
    }
    const key = `${info.remoteAddr.hostname}|${info.remoteAddr.port}`;
    let c = this.#byAddr.get(key);
    if (!c) {
      if (this.#byAddr.size >= MAX_CONNS) {
        this.#byAddr.delete(this.#byAddr.keys().next().value!);
      }
      this.#byAddr.set(key, c = [undefined, undefined]);
    }
    return c;
  }
}

/**
 * The scheme Linkerd's `Forwarded` reports as `proto`: that of an absolute-form target (Linkerd
 * reads `new URI(req.uri).getScheme` before its ProxyRewriteFilter), or an h2 request's
 * `:scheme`; undefined for an origin-form target, or when the engine does not tell
 * (`engine: serve`).
 */
function targetScheme(req: Request | undefined): string | undefined {
  const parts = req && requestParts.get(req);
  if (parts === undefined || (parts.major !== 2 && parts.absolute !== true)) return undefined;
  return parts.url.protocol.slice(0, -1);
}

/** The header-adding server options of one listener. */
export interface ServerHeaderOptions extends ForwardedOptions {
  readonly addForwardedHeader?: AddForwardedHeaderConfig | undefined;
  readonly timestampHeader?: string | undefined;
}

/**
 * The per-request step that puts the configured headers on `ctx.addHeaders` (the transport appends
 * them to every upstream attempt).
 *
 * @returns `null` when neither option is set: the server then does nothing per request.
 */
export function serverHeaders(
  opts: ServerHeaderOptions,
): ((ctx: Ctx, info: ConnInfo) => void) | null {
  const fwd = opts.addForwardedHeader ? new ForwardedHeader(opts.addForwardedHeader, opts) : null;
  const ts = opts.timestampHeader?.toLowerCase();
  if (!fwd && !ts) return null;
  return (ctx, info) => {
    const out: [string, string][] = [];
    if (fwd) out.push([H.forwarded, fwd.value(ctx.host, info, targetScheme(ctx.headerSource))]);
    if (ts) out.push([ts, String(ctx.startMs)]);
    ctx.addHeaders = out;
  };
}
