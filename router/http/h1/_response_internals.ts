/**
 * A guarded fast constructor for the web `Response` the upstream HTTP/1.1 client returns, built
 * the way Deno builds its own responses from known-good parts (`fromInnerResponse` in Deno's
 * `ext/fetch/23_response.js`) instead of through the public `new Response(body, init)` (WebIDL
 * conversion of the init, status text and header validation and copy, a copy of the body bytes
 * in `extractBody`, and a native pre-built response for `Deno.serve` through
 * `setServeNativeFromHeaders` plus its finalization registration). Folder-private.
 *
 * The response is a real `Response`: made with the constructor's brand fast path
 * (`new Response(webidl.brand)`), then given the private fields `initializeResponseBase` sets, in
 * the same order (so it has the same hidden class as Deno's), and an inner response of the shape
 * of `newInnerResponse` (type `"default"`, empty URL list, status, status message, the header
 * list, an `InnerBody`). Headers are built lazily on first `rsp.headers` from the inner list with
 * guard `"response"`, so filters can `set`/`append`/`delete` them and `Deno.serve` and the raw
 * engine's writer both send the edited list. A static body is an `InnerBody` around the bytes
 * exactly as `extractBody` makes it (without the copy); a stream body is the very stream. A
 * response of {@link makeViewResponse} keeps its bytes as Deno's lazy static body instead, which
 * Deno turns into an `InnerBody` from a copy when the body is first read through the web API.
 *
 * What differs from `new Response` on purpose, and is not observable through the web API:
 * - the "serve fast" fields and the native response stay unset, so `Deno.serve` sends it through
 *   its ordinary inner-response path (`fastSyncResponseOrStream`), as it does for every response
 *   whose headers were touched (which our stack always does);
 * - header names are lower-cased in place (Deno keeps the first spelling of each name; the web
 *   API lower-cases on read anyway, and `Deno.serve` sends lower-case names); only the raw
 *   engine's wire spelling changes.
 *
 * It relies on Deno 2.9's private symbols (found at load by their descriptions on a probe
 * instance, and required to be exactly the list and order of 2.9.6), the inner response's and
 * `InnerBody`'s own keys, and the `InnerBody` constructor (taken from a probe response). A
 * self-test at load time builds fast responses from known parts and compares them with
 * `new Response` on every public property (status, statusText, ok, type, url, redirected,
 * headers, body, bodyUsed), the inner state the body methods and both consumers read, a header
 * mutation round trip, `clone()` and `new Response(rsp.body, rsp)`. When anything differs or
 * throws (another Deno version), the fast path stays off for the life of the process and
 * {@link makeResponse} uses `new Response`.
 *
 * The caller's inputs must be what the strict head parser (`response_head.ts`) gives: a status in
 * 200–599, a reason phrase of HTAB / SP / VCHAR / obs-text, header names that are tokens and
 * values without CR/LF/NUL, OWS-trimmed. They are not validated here.
 *
 * @module
 */

type Bag = Record<symbol, unknown>;

/** The static body of an `InnerBody`. */
interface StaticBody {
  body: Uint8Array;
  consumed: boolean;
}

/** Deno's `InnerBody` (ext/fetch/22_body.js), as far as this module touches it. */
interface InnerBody {
  streamOrStatic: ReadableStream<Uint8Array> | StaticBody;
  source: unknown;
  length: number | null;
}

type InnerBodyCtor = new (streamOrStatic: ReadableStream<Uint8Array> | StaticBody) => InnerBody;

/** Deno's inner response (`newInnerResponse`), as far as this module touches it. */
interface InnerResponse {
  type: string;
  body: InnerBody | null;
  headerList: [string, string][];
  urlList: string[];
  status: number;
  statusMessage: string;
  aborted: boolean;
  bodyDecoded: boolean;
  url(this: InnerResponse): string | null;
}

/** Own symbol descriptions of a Deno 2.9.6 `Response`, in `initializeResponseBase` order. */
const SYMBOLS = [
  "[[webidl.brand]]",
  "response",
  "headers",
  "headers guard",
  "serve fast status",
  "serve fast body",
  "serve fast header kind",
  "serve fast content type",
  "serve fast consumed",
  "serve native response",
  "lazy static body",
  "lazy static content type",
];

/** Own keys of a Deno 2.9.6 inner response. */
const INNER_KEYS = "type,body,headerList,urlList,status,statusMessage,aborted,bodyDecoded,url";

/** Own keys of a Deno 2.9.6 `InnerBody`. */
const BODY_KEYS = "streamOrStatic,source,length";

/** The values `initializeResponseBase` gives every field but the inner response. */
const BASE: unknown[] = [null, "response", 0, null, 0, null, false, null, null, null];

/** The private symbols, or null when the probe does not have Deno 2.9.6's shape. */
function discover(): { syms: symbol[]; InnerBody: InnerBodyCtor } | null {
  try {
    const probe = new Response(null) as unknown as Bag;
    const syms = Object.getOwnPropertySymbols(probe);
    if (syms.map((s) => s.description).join() !== SYMBOLS.join()) return null;
    if (probe[syms[0] as symbol] !== syms[0]) return null; // the brand marks itself
    for (let i = 0; i < BASE.length; i++) {
      if (probe[syms[i + 2] as symbol] !== BASE[i]) return null;
    }
    const inner = probe[syms[1] as symbol] as InnerResponse;
    if (Object.keys(inner).join() !== INNER_KEYS || inner.body !== null) return null;
    const withBody = new Response(new Uint8Array(1)) as unknown as Bag;
    const body = (withBody[syms[1] as symbol] as InnerResponse).body;
    if (body === null || Object.keys(body).join() !== BODY_KEYS) return null;
    if (typeof body.constructor !== "function") return null;
    return { syms, InnerBody: body.constructor as InnerBodyCtor };
  } catch {
    return null;
  }
}

const FOUND = discover();
const SYMS: symbol[] = FOUND?.syms ?? [];
const BRAND = SYMS[0] as symbol;
const S_RESPONSE = SYMS[1] as symbol;
const S_HEADERS = SYMS[2] as symbol;
const S_GUARD = SYMS[3] as symbol;
const S_FAST_STATUS = SYMS[4] as symbol;
const S_FAST_BODY = SYMS[5] as symbol;
const S_FAST_KIND = SYMS[6] as symbol;
const S_FAST_TYPE = SYMS[7] as symbol;
const S_FAST_CONSUMED = SYMS[8] as symbol;
const S_NATIVE = SYMS[9] as symbol;
const S_LAZY_BODY = SYMS[10] as symbol;
const S_LAZY_TYPE = SYMS[11] as symbol;
const InnerBodyCtor = FOUND?.InnerBody as InnerBodyCtor;
const ResponseCtor = Response as unknown as new (brand: symbol) => Response;

/** `url()` of an inner response, as Deno's `newInnerResponse` defines it (shared, not per object). */
function innerUrl(this: InnerResponse): string | null {
  if (this.urlList.length == 0) return null;
  return this.urlList[this.urlList.length - 1] as string;
}

/** The fast path proper; only called once the self-test passed (or by the self-test). */
function build(
  status: number,
  statusText: string,
  headers: [string, string][],
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): Response {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as [string, string];
    h[0] = h[0].toLowerCase();
  }
  let inner: InnerBody | null = null;
  if (body instanceof Uint8Array) {
    inner = new InnerBodyCtor({ body, consumed: false });
    inner.source = body;
    inner.length = body.byteLength;
  } else if (body !== null) {
    inner = new InnerBodyCtor(body);
  }
  const rsp = new ResponseCtor(BRAND);
  const r = rsp as unknown as Bag;
  r[S_RESPONSE] = {
    type: "default",
    body: inner,
    headerList: headers,
    urlList: [],
    status,
    statusMessage: statusText,
    aborted: false,
    bodyDecoded: false,
    url: innerUrl,
  };
  r[S_HEADERS] = null;
  r[S_GUARD] = "response";
  r[S_FAST_STATUS] = 0;
  r[S_FAST_BODY] = null;
  r[S_FAST_KIND] = 0;
  r[S_FAST_TYPE] = null;
  r[S_FAST_CONSUMED] = false;
  r[S_NATIVE] = null;
  r[S_LAZY_BODY] = null;
  r[S_LAZY_TYPE] = null;
  return rsp;
}

/**
 * {@link build} with `bytes` as the response's lazy static body, which Deno turns into an inner
 * body (from a copy) only when something reads the body through the web API.
 */
function buildView(
  status: number,
  statusText: string,
  headers: [string, string][],
  bytes: Uint8Array,
): Response {
  const rsp = build(status, statusText, headers, null);
  (rsp as unknown as Bag)[S_LAZY_BODY] = bytes;
  return rsp;
}

/** The header list of a response {@link build} made whose `Headers` do not exist yet, or null. */
function headerListOf(rsp: Response): [string, string][] | null {
  const r = rsp as unknown as Bag;
  if (r[S_HEADERS] !== null) return null;
  const inner = r[S_RESPONSE] as InnerResponse | undefined;
  return inner !== undefined && inner.url === innerUrl ? inner.headerList : null;
}

/** The inner response of `rsp`. */
function innerOf(rsp: Response): InnerResponse {
  return (rsp as unknown as Bag)[S_RESPONSE] as InnerResponse;
}

/** A comparable picture of an inner body: what the body methods and both consumers read. */
function bodyPicture(b: InnerBody | null): string {
  if (b === null) return "null";
  if (Object.keys(b).join() !== BODY_KEYS || !(b instanceof InnerBodyCtor)) return "bad";
  const s = b.streamOrStatic;
  const src = b.source instanceof Uint8Array ? `u8:${b.source.join()}` : String(b.source);
  if (s instanceof ReadableStream) {
    return `stream:${s.locked}:${src}:${b.length}`;
  }
  return `static:${s.body instanceof Uint8Array}:${s.body.join()}:${s.consumed}:${src}:${b.length}`;
}

/** Everything observable about a response without reading its body, plus its inner state. */
function picture(rsp: Response): string {
  const i = innerOf(rsp);
  const syms = Object.getOwnPropertySymbols(rsp).map((s) => s.description).join();
  return JSON.stringify([
    rsp instanceof Response,
    Object.prototype.toString.call(rsp),
    syms,
    rsp.type,
    rsp.url,
    rsp.redirected,
    rsp.status,
    rsp.statusText,
    rsp.ok,
    rsp.bodyUsed,
    rsp.body === null ? "null" : rsp.body instanceof ReadableStream,
    [...rsp.headers],
    rsp.headers.get("x-a"),
    rsp.headers.getSetCookie(),
    Object.keys(i).join(),
    i.headerList,
    i.urlList,
    i.url(),
    i.aborted,
    i.bodyDecoded,
    (rsp as unknown as Bag)[S_GUARD],
    bodyPicture(i.body),
  ]);
}

/** The head every self-test case uses: names mixed-case for the fast side, lower for the slow. */
function headList(lower: boolean): [string, string][] {
  const list: [string, string][] = [
    ["Content-Type", "text/plain"],
    ["X-A", "1"],
    ["x-a", "2"],
    ["Set-Cookie", "a=1"],
    ["set-cookie", "b=2"],
    ["Content-Length", "3"],
    ["X-Latin", "caf\xe9"],
  ];
  return lower ? list.map(([n, v]) => [n.toLowerCase(), v]) : list;
}

/** Build one case both ways and compare; then mutate, clone and re-wrap both and compare again. */
function sameCase(
  status: number,
  reason: string,
  body: () => Uint8Array | ReadableStream<Uint8Array> | null,
): boolean {
  const fastBody = body();
  const fast = build(status, reason, headList(false), fastBody);
  const slow = new Response(body() as BodyInit | null, {
    status,
    statusText: reason,
    headers: headList(true),
  });
  // Nothing read yet: the inner state before `headers` is first touched.
  if (bodyPicture(innerOf(fast).body) !== bodyPicture(innerOf(slow).body)) return false;
  if (JSON.stringify(innerOf(fast).headerList) !== JSON.stringify(innerOf(slow).headerList)) {
    return false;
  }
  if (fastBody instanceof ReadableStream && fast.body !== fastBody) return false;
  if (picture(fast) !== picture(slow)) return false;
  // Header mutation round trip: the edits land in the inner list both consumers send.
  for (const r of [fast, slow]) {
    r.headers.set("via", "1.1 switchyard");
    r.headers.append("x-a", "3");
    r.headers.delete("content-length");
    r.headers.set("l5d-success-class", "1.0");
  }
  if (picture(fast) !== picture(slow)) return false;
  if (!innerOf(fast).headerList.some(([n, v]) => n === "via" && v === "1.1 switchyard")) {
    return false;
  }
  if (fast.body === null) return picture(fast.clone()) === picture(slow.clone());
  // `clone()` (tees a stream, copies a static body) and `new Response(rsp.body, rsp)`.
  if (picture(fast.clone()) !== picture(slow.clone())) return false;
  if (picture(fast) !== picture(slow)) return false;
  const fw = new Response(fast.body, fast), sw = new Response(slow.body, slow);
  return picture(fw) === picture(sw) && picture(fast) === picture(slow);
}

/**
 * Edits through {@link ownHeaderList} are what `rsp.headers` shows once made, and the list is
 * handed out only until then.
 */
function listEdits(): boolean {
  const rsp = build(200, "OK", [["x-a", "1"]], null);
  const list = headerListOf(rsp);
  if (list === null) return false;
  list.push(["via", "1.1 linkerd"]);
  if (rsp.headers.get("via") !== "1.1 linkerd" || headerListOf(rsp) !== null) return false;
  return headerListOf(new Response(null)) === null;
}

/**
 * A response {@link buildView} made behaves as `new Response(copy of the bytes)` once anything
 * reads its body through the web API: Deno's `materializeLazyStaticBody` makes the inner body
 * then, from a copy of the view (so the view's memory may be reused afterwards), and the public
 * properties, the inner state and a clone match the public constructor's. Synchronous: reading
 * `bodyUsed` (as `picture` does first) materializes the body.
 */
function sameView(): boolean {
  const backing = new Uint8Array(64).fill(120);
  backing.set([97, 98, 99], 10);
  const view = backing.subarray(10, 13);
  const fast = buildView(200, "OK", headList(false), view);
  if ((fast as unknown as Bag)[S_LAZY_BODY] !== view || innerOf(fast).body !== null) return false;
  const slow = new Response(new Uint8Array([97, 98, 99]), {
    status: 200,
    statusText: "OK",
    headers: headList(true),
  });
  if (picture(fast) !== picture(slow)) return false; // materialized now
  if ((fast as unknown as Bag)[S_LAZY_BODY] !== null) return false;
  // The inner body's source is a copy of exactly the viewed bytes: reusing the view's memory
  // changes nothing.
  const made = innerOf(fast).body?.source;
  if (!(made instanceof Uint8Array) || made.buffer === backing.buffer) return false;
  if (made.byteOffset !== 0 || made.byteLength !== 3 || made.buffer.byteLength !== 3) return false;
  backing.fill(0);
  if (made.join() !== "97,98,99") return false;
  const again = buildView(200, "OK", headList(false), new Uint8Array(backing.buffer, 20, 2));
  const twin = again.clone();
  return picture(again) === picture(twin) && innerOf(twin).body !== innerOf(again).body;
}

function selfTest(): boolean {
  if (FOUND === null) return false;
  try {
    const enc = new TextEncoder();
    return listEdits() && sameCase(200, "OK", () => enc.encode("abc")) &&
      sameCase(404, "", () => enc.encode("n\xf6")) &&
      sameCase(503, "Service Unavailable", () => new ReadableStream<Uint8Array>()) &&
      sameCase(204, "No Content", () => null) &&
      sameCase(200, "OK", () => null) && sameView();
  } catch {
    return false;
  }
}

const AVAILABLE = selfTest();
let enabled = AVAILABLE;

/**
 * Build the client's response: through Deno's internals when the fast path is on, else with
 * `new Response(body, {status, statusText, headers})`.
 *
 * On the fast path `headers` becomes the response's header list (not copied: hand over a list
 * nobody else mutates; its names are lower-cased in place), and a `Uint8Array` body is used as
 * is (not copied: hand over bytes nobody else mutates). Nothing is validated (see the module doc
 * for what the caller guarantees).
 *
 * @param status the status code, 200–599
 * @param statusText the reason phrase as sent
 * @param headers the header list, repeated names apart
 * @param body a static body, a body stream, or null
 * @returns the response
 * @example
 * ```ts ignore
 * const rsp = makeResponse(200, "OK", [["content-type", "text/plain"]], bytes);
 * ```
 */
export function makeResponse(
  status: number,
  statusText: string,
  headers: [string, string][],
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): Response {
  if (enabled) return build(status, statusText, headers, body);
  return new Response(body as BodyInit | null, { status, statusText, headers });
}

/**
 * A response whose static body is `bytes`, which may be a view on memory the caller reuses once
 * the raw engine has written the response (the small-body pool, `raw/chunk_pool.ts`): on the
 * fast path the bytes are the response's lazy static body, copied into a body of its own only if
 * something reads the body through the web API (`text()`, `arrayBuffer()`, `body`, `clone()`,
 * `Deno.serve`); else `new Response` copies them at once. Register `bytes` with `responseBytes`
 * for the raw engine, which reads them without touching the body.
 *
 * @param status the status code, 200–599
 * @param statusText the reason phrase as sent
 * @param headers the header list, repeated names apart (handed over, as {@link makeResponse})
 * @param bytes the body bytes
 * @returns the response
 * @example
 * ```ts ignore
 * const rsp = makeViewResponse(200, "OK", [["content-length", "3"]], pooled.subarray(0, 3));
 * ```
 */
export function makeViewResponse(
  status: number,
  statusText: string,
  headers: [string, string][],
  bytes: Uint8Array,
): Response {
  if (enabled) return buildView(status, statusText, headers, bytes);
  return new Response(bytes as BodyInit, { status, statusText, headers });
}

/**
 * The header list of a response this client built, while nothing has read `rsp.headers` yet:
 * names lower-case, values as the strict head parser passed them. Editing it edits the response
 * (its `Headers`, made on first read, wrap the same list; both consumers send it) without making
 * a `Headers` object and running the WebIDL checks of `get`/`set`/`append` (issue 6: four such
 * calls on every proxied response cost ~0.4 µs). Null for any other response, once its
 * `Headers` exist (they cache their iteration, so edits then go through them), or when the
 * self-test failed.
 *
 * @param rsp any response
 * @returns the editable list, or null (then use `rsp.headers`)
 */
export function ownHeaderList(rsp: Response): [string, string][] | null {
  return AVAILABLE ? headerListOf(rsp) : null;
}

/** True when this Deno version passed the load-time self-test (the fast path can be used). */
export function fastResponsesAvailable(): boolean {
  return AVAILABLE;
}

/**
 * Switch the fast path on or off (tests and benchmarks only: it is process-wide). Switching on
 * has no effect when the self-test failed.
 *
 * @param on true to use the fast path when available
 * @returns whether it was on before
 */
export function setFastResponses(on: boolean): boolean {
  const was = enabled;
  enabled = on && AVAILABLE;
  return was;
}
