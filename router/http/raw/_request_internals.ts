/**
 * A guarded fast constructor for the web `Request` the raw engine hands to the router, built the
 * way `Deno.serve` builds its requests (`fromInnerRequest` in Deno's `ext/fetch/23_request.js`)
 * instead of through the public `new Request(url, init)` (WebIDL conversion, URL parse, header
 * validation and copy, dependent signal: ~8–10 µs). Folder-private.
 *
 * The request is a real `Request`: made with the constructor's brand fast path
 * (`new Request(webidl.brand)`), then given an inner request of the same shape as Deno's
 * `newInnerRequest` (method, lazily read header list, `InnerBody` around the stream, URL list),
 * the header guard and the caller's `AbortSignal` as its signal cache. Headers are built lazily
 * on first `req.headers` from the inner list, with guard `"immutable"` as `Deno.serve` does (its
 * requests' headers are immutable too; `new Request(req, init)` and `req.clone()` give mutable
 * copies, as with `Deno.serve`).
 *
 * It relies on Deno 2.9's private symbols (found at load by their descriptions on a probe
 * instance: `request`, `headers cache`, `get headers`, `headers guard`, `signalCache`, `url`,
 * `method`, `[[webidl.brand]]`), the inner request's own keys, and the `InnerBody` constructor
 * (taken from a probe request with a stream body). A self-test at load time builds fast
 * requests from known parts and checks every property against a `new Request` built the normal
 * way; when anything differs or throws (another Deno version), {@link fastRequest} always
 * returns null and the caller uses the public constructor.
 *
 * The caller's inputs must be what the strict head parser gives: a valid method token, an
 * absolute `http(s)` URL, header names lower-case (they are not validated or lower-cased here),
 * values without CR/LF/NUL and OWS-trimmed.
 *
 * @module
 */

type Bag = Record<symbol, unknown>;

/** The private symbols this module needs, by description. */
interface Symbols {
  request: symbol;
  headersCache: symbol;
  getHeaders: symbol;
  guard: symbol;
  signalCache: symbol;
  url: symbol;
  method: symbol;
  brand: symbol;
}

/** Own keys of a Deno 2.9 inner request (`newInnerRequest`). */
const INNER_KEYS = [
  "methodInner",
  "method",
  "headerListInner",
  "headerList",
  "body",
  "redirectMode",
  "redirectCount",
  "urlList",
  "urlListProcessed",
  "clientRid",
  "blobUrlEntry",
  "url",
  "currentUrl",
].join();

type InnerBodyCtor = new (stream: ReadableStream<Uint8Array>) => unknown;

interface Internals {
  s: Symbols;
  InnerBody: InnerBodyCtor;
}

function discover(): Internals | null {
  try {
    const probe = new Request("http://x/", {
      method: "POST",
      body: new ReadableStream(),
      duplex: "half",
    } as RequestInit);
    const by: Record<string, symbol> = {};
    for (const sym of Object.getOwnPropertySymbols(probe)) {
      if (sym.description !== undefined) by[sym.description] = sym;
    }
    const need = (d: string): symbol => {
      const sym = by[d];
      if (sym === undefined) throw new Error(`no ${d} symbol`);
      return sym;
    };
    const s: Symbols = {
      request: need("request"),
      headersCache: need("headers cache"),
      getHeaders: need("get headers"),
      guard: need("headers guard"),
      signalCache: need("signalCache"),
      url: need("url"),
      method: need("method"),
      brand: need("[[webidl.brand]]"),
    };
    if ((probe as unknown as Bag)[s.brand] !== s.brand) return null;
    const inner = (probe as unknown as Bag)[s.request] as Record<string, unknown> | undefined;
    if (inner === undefined || Object.keys(inner).join() !== INNER_KEYS) return null;
    const body = inner.body as { constructor?: unknown; streamOrStatic?: unknown } | null;
    if (body === null || typeof body.constructor !== "function") return null;
    if (!(body.streamOrStatic instanceof ReadableStream)) return null;
    return { s, InnerBody: body.constructor as InnerBodyCtor };
  } catch {
    return null;
  }
}

/**
 * An inner request with the shape of Deno 2.9's `newInnerRequest` result. A class (accessors
 * on the prototype) instead of an object literal, so building one allocates no closures but
 * the URL thunk.
 */
class InnerRequest {
  methodInner: string;
  headerListInner: [string, string][];
  body: unknown;
  redirectMode = "follow";
  redirectCount = 0;
  urlList: (() => string)[];
  urlListProcessed: string[];
  clientRid = null;
  blobUrlEntry = null;

  constructor(method: string, href: string, headers: [string, string][], body: unknown) {
    this.methodInner = method;
    this.headerListInner = headers;
    this.body = body;
    this.urlList = [() => href];
    this.urlListProcessed = [href];
  }

  get method(): string {
    return this.methodInner;
  }

  set method(value: string) {
    this.methodInner = value;
  }

  get headerList(): [string, string][] {
    return this.headerListInner;
  }

  set headerList(value: [string, string][]) {
    this.headerListInner = value;
  }

  url(): string {
    return this.#at(0);
  }

  currentUrl(): string {
    return this.#at(this.urlList.length - 1);
  }

  #at(i: number): string {
    const done = this.urlListProcessed[i];
    if (done !== undefined) return done;
    const thunk = this.urlList[i];
    if (thunk === undefined) throw new TypeError("cannot read url: request closed");
    return this.urlListProcessed[i] = thunk();
  }
}

function build(
  ix: Internals,
  method: string,
  href: string,
  headers: [string, string][],
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Request {
  const s = ix.s;
  const RequestCtor = Request as unknown as new (brand: symbol) => Request;
  const req = new RequestCtor(s.brand);
  const r = req as unknown as Bag;
  r[s.request] = new InnerRequest(
    method,
    href,
    headers,
    body === null ? null : new ix.InnerBody(body),
  );
  r[s.guard] = "immutable";
  r[s.signalCache] = signal;
  return req;
}

/** Property-by-property comparison of a fast request with a normally built one. */
function sameAs(fast: Request, slow: Request, signal: AbortSignal): boolean {
  const props = [
    "method",
    "url",
    "redirect",
    "cache",
    "credentials",
    "integrity",
    "keepalive",
    "mode",
    "referrer",
    "referrerPolicy",
    "bodyUsed",
  ] as const;
  for (const p of props) {
    if (fast[p] !== slow[p]) return false;
  }
  return fast instanceof Request &&
    Object.prototype.toString.call(fast) === Object.prototype.toString.call(slow) &&
    JSON.stringify([...fast.headers]) === JSON.stringify([...slow.headers]) &&
    fast.headers.get("x-a") === slow.headers.get("x-a") &&
    fast.signal === signal && fast.signal.aborted === slow.signal.aborted &&
    (fast.body === null) === (slow.body === null);
}

function selfTest(ix: Internals | null): boolean {
  if (ix === null) return false;
  try {
    // GET without a body, repeated names, set-cookie apart.
    const ac = new AbortController();
    const list = (): [string, string][] => [
      ["host", "h"],
      ["x-a", "1"],
      ["x-a", "2"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ];
    const url = "http://h/p?q=1";
    const g = build(ix, "GET", url, list(), null, ac.signal);
    const gs = new Request(url, { method: "GET", headers: list(), signal: ac.signal });
    if (!sameAs(g, gs, ac.signal) || g.body !== null) return false;
    // Immutable headers, as Deno.serve's.
    let immutable = false;
    try {
      g.headers.set("x-b", "1");
    } catch (e) {
      immutable = e instanceof TypeError;
    }
    if (!immutable) return false;
    // A stream body: the very stream, unread.
    const stream = new ReadableStream<Uint8Array>();
    const p = build(ix, "POST", url, list(), stream, ac.signal);
    const ps = new Request(url, {
      method: "POST",
      headers: list(),
      body: new ReadableStream(),
      signal: ac.signal,
      duplex: "half",
    } as RequestInit);
    if (!sameAs(p, ps, ac.signal) || p.body !== stream || p.bodyUsed) return false;
    // clone() and new Request(req, init) accept it and carry method, URL, headers.
    const c = p.clone();
    const n = new Request(p, { headers: { "x-n": "1" } });
    if (
      c.method !== "POST" || c.url !== url || c.headers.get("x-a") !== "1, 2" ||
      n.method !== "POST" || n.url !== url || n.headers.get("x-n") !== "1" ||
      n.body === null
    ) return false;
    // Forbidden methods are carried as they are.
    const t = build(ix, "CONNECT", "http://h:443/", [["host", "h:443"]], null, ac.signal);
    if (t.method !== "CONNECT" || t.url !== "http://h:443/") return false;
    // The signal is the caller's: it aborts with it.
    ac.abort();
    return g.signal.aborted && gs.signal.aborted;
  } catch {
    return false;
  }
}

const INTERNALS = discover();
const AVAILABLE = selfTest(INTERNALS);
let enabled = AVAILABLE;

/**
 * Build a request without the public constructor, or return null when the fast path is off
 * (unavailable on this Deno version, or switched off with {@link setFastRequests}).
 *
 * Unlike `new Request`, the method is taken as is (CONNECT, TRACE and TRACK included), nothing
 * is validated, `headers` becomes the request's header list (not copied: hand over a list
 * nobody else mutates), `body` is used as is, and `req.signal` is `signal` itself.
 *
 * @param method the method token (normalised by the caller)
 * @param href the request URL, already serialised by `new URL(…).href`
 * @param headers the header list, names lower-case, repeated names apart
 * @param body the body stream, or null
 * @param signal the request's signal
 * @returns the request, or null
 */
export function fastRequest(
  method: string,
  href: string,
  headers: [string, string][],
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Request | null {
  return enabled ? build(INTERNALS as Internals, method, href, headers, body, signal) : null;
}

/** True when this Deno version passed the load-time self-test (the fast path can be used). */
export function fastRequestsAvailable(): boolean {
  return AVAILABLE;
}

/**
 * Switch the fast path on or off (tests and benchmarks only: it is process-wide). Switching on
 * has no effect when the self-test failed.
 *
 * @param on true to use the fast path when available
 * @returns whether it was on before
 */
export function setFastRequests(on: boolean): boolean {
  const was = enabled;
  enabled = on && AVAILABLE;
  return was;
}
