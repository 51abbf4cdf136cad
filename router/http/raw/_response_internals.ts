/**
 * A guarded peek into Deno's `Response` internals, the fast path `Deno.serve` itself takes: the
 * static body of `new Response("text")` / `Response.json(x)` without materialising a
 * `ReadableStream`, and the raw header list without the sorted, combined `Headers` iteration.
 * Folder-private.
 *
 * It relies on Deno 2.9's `ext/fetch/23_response.js`: the "serve fast" fields (status, body,
 * header kind, content type, consumed), the lazy static body / content type fields, and the inner
 * response (`headerList`, `body.streamOrStatic`, `bodyDecoded`). A self-test at load time checks
 * that shape on probe responses; when it does not hold (another Deno version), `peekResponse`
 * always returns null and the writer uses the public API.
 *
 * @module
 */

/** What the writer can take from a response without the public (slow) API. */
export interface ResponseParts {
  /** The header list, names in any case, repeated names apart. Do not mutate. */
  headers: [string, string][];
  /** A static body (a string is UTF-8), null for none, undefined when it is a stream. */
  body: string | Uint8Array | null | undefined;
}

type Bag = Record<symbol, unknown>;

interface Inner {
  headerList?: unknown;
  bodyDecoded?: unknown;
  body?: { streamOrStatic?: { body?: unknown; consumed?: unknown } } | null;
}

function symbols(): Record<string, symbol> | null {
  const out: Record<string, symbol> = {};
  for (const s of Object.getOwnPropertySymbols(new Response(null))) {
    if (s.description !== undefined) out[s.description] = s;
  }
  const need = [
    "response",
    "serve fast status",
    "serve fast body",
    "serve fast header kind",
    "serve fast content type",
    "serve fast consumed",
    "lazy static body",
    "lazy static content type",
  ];
  return need.every((n) => out[n] !== undefined) ? out : null;
}

const S = symbols();
const RESPONSE = S?.["response"] as symbol;
const FAST_STATUS = S?.["serve fast status"] as symbol;
const FAST_BODY = S?.["serve fast body"] as symbol;
const FAST_KIND = S?.["serve fast header kind"] as symbol;
const FAST_TYPE = S?.["serve fast content type"] as symbol;
const FAST_CONSUMED = S?.["serve fast consumed"] as symbol;
const LAZY_BODY = S?.["lazy static body"] as symbol;
const LAZY_TYPE = S?.["lazy static content type"] as symbol;
const DEFAULT_TEXT: [string, string][] = [["content-type", "text/plain;charset=UTF-8"]];
const NO_HEADERS: [string, string][] = [];

function read(rsp: Response): ResponseParts | null {
  const r = rsp as unknown as Bag;
  if (r[FAST_STATUS] === 200 && r[FAST_CONSUMED] === false) {
    const body = r[FAST_BODY];
    if (typeof body === "string" || body instanceof Uint8Array) {
      const kind = r[FAST_KIND];
      const type = r[FAST_TYPE];
      if (kind === 0) return { headers: NO_HEADERS, body };
      if (kind === 1) return { headers: DEFAULT_TEXT, body };
      if (kind === 2 && typeof type === "string") {
        return { headers: [["content-type", type]], body };
      }
    }
    return null;
  }
  const lazy = r[LAZY_BODY];
  if (lazy != null || r[LAZY_TYPE] != null) {
    // A lazy byte body and no lazy content type (the upstream client's `makeViewResponse`): the
    // bytes as they are, the header list as it is (the body would be made from them unchanged).
    if (!(lazy instanceof Uint8Array) || r[LAZY_TYPE] != null) return null;
    const i = r[RESPONSE] as Inner | undefined;
    if (i === undefined || !Array.isArray(i.headerList) || i.body !== null) return null;
    if (i.bodyDecoded === true) return null;
    return { headers: i.headerList as [string, string][], body: lazy };
  }
  const i = r[RESPONSE] as Inner | undefined;
  if (i === undefined || !Array.isArray(i.headerList) || i.bodyDecoded === true) return null;
  const headers = i.headerList as [string, string][];
  const b = i.body;
  if (b === null) return { headers, body: null };
  const s = b?.streamOrStatic;
  if (s === undefined || s instanceof ReadableStream || s.consumed !== false) {
    return { headers, body: undefined };
  }
  const body = s.body;
  if (typeof body !== "string" && !(body instanceof Uint8Array)) {
    return { headers, body: undefined };
  }
  return { headers, body };
}

function same(a: ResponseParts | null, headers: [string, string][], body: unknown): boolean {
  if (a === null || JSON.stringify(a.headers) !== JSON.stringify(headers)) return false;
  if (body instanceof Uint8Array) {
    return a.body instanceof Uint8Array && a.body.join() === body.join(); // the constructor copies
  }
  return a.body === body;
}

/** A response whose lazy static body is bytes: peeked as they are, and as the web API reads it. */
function lazyBytes(): boolean {
  const rsp = new Response(null, { status: 200, headers: [["X-C", "3"]] });
  const i = (rsp as unknown as Bag)[RESPONSE] as Inner;
  const backing = new Uint8Array([0, 1, 2, 3, 4]);
  const view = backing.subarray(1, 4);
  (rsp as unknown as Bag)[LAZY_BODY] = view;
  i.body = null;
  const peeked = read(rsp);
  if (peeked === null || peeked.body !== view || !same(peeked, [["X-C", "3"]], view)) return false;
  // The web API's body is made from exactly these bytes (a copy), after which the peek says so.
  const bodyBytes = (rsp as unknown as { body: unknown }).body !== null;
  return bodyBytes && (rsp as unknown as Bag)[LAZY_BODY] === null && read(rsp)?.body !== view;
}

function selfTest(): boolean {
  if (S === null) return false;
  try {
    const u = new Uint8Array([1, 2]);
    const touched = new Response("x");
    touched.headers.set("x-a", "1");
    const streamed = new Response(new ReadableStream());
    return same(read(new Response("héllo")), DEFAULT_TEXT, "héllo") &&
      same(read(Response.json({ a: 1 })), [["content-type", "application/json"]], '{"a":1}') &&
      same(read(new Response(u)), NO_HEADERS, u) &&
      same(
        read(new Response(null, { status: 204, headers: [["X-A", "1"]] })),
        [["X-A", "1"]],
        null,
      ) &&
      same(
        read(new Response("e", { status: 404, headers: [["X-B", "2"]] })),
        [["X-B", "2"], ["Content-Type", "text/plain;charset=UTF-8"]],
        "e",
      ) &&
      same(read(touched), [["Content-Type", "text/plain;charset=UTF-8"], ["x-a", "1"]], "x") &&
      read(streamed)?.body === undefined && lazyBytes();
  } catch {
    return false;
  }
}

const ENABLED = selfTest();

/**
 * The response's header list and static body, or null when the internals are unavailable or
 * the response is in a state the peek does not cover (then use the public API).
 *
 * @param rsp a response built in this isolate
 * @returns its parts, or null
 */
export function peekResponse(rsp: Response): ResponseParts | null {
  return ENABLED ? read(rsp) : null;
}

/** True when the internal fast path is active on this Deno version. */
export function internalsAvailable(): boolean {
  return ENABLED;
}

const enc = new TextEncoder();

/** UTF-8 bytes of a static string body. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
