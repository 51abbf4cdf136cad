/**
 * Linkerd's diagnostic tracing (`DiagnosticTracer`, an endpoint-level filter): a `TRACE` request
 * with `l5d-add-context: true` gets this hop's routing context appended to the response body:
 *
 * ```text
 * --- Router: outgoing ---
 * request duration: 3 ms
 * service name: /svc/hello
 * client name: /#/io.l5d.fs/hello
 * addresses: [127.0.0.1:7777]
 * selected address: 127.0.0.1:7777
 * dtab resolution:
 *   /svc/hello
 *   /#/io.l5d.fs/hello (/svc=>/#/io.l5d.fs)
 * ```
 *
 * A streamed answer (no `content-length`: chunked or close-delimited) is discarded and replaced by
 * its header lines, `HTTP <code> - <reason>` and Linkerd's "Diagnostic trace encountered chunked
 * response. Response content discarded." before the context, as Linkerd's DiagnosticTracer does
 * with a chunked response. `l5d-add-context` goes on upstream, so every hop adds its context.
 *
 * `Max-Forwards` (RFC 9110 §7.6.2) is honoured as Linkerd does: 0 answers here (200, with the
 * context when asked for, else empty); more is decremented and forwarded; a value Java's
 * `Integer.parseInt` refuses (not `[+-]digits`, or past 32 bits) is 400; a negative one matches
 * none of Linkerd's cases, so the request goes on as it came, without context. Any other method
 * passes straight through (one string comparison).
 *
 * @example
 * ```ts
 * import { diagnosticTracer } from "./diagnostic_tracer.ts";
 * const filter = diagnosticTracer({
 *   router: "outgoing",
 *   endpoint: "127.0.0.1:7777",
 *   addresses: () => ["127.0.0.1:7777"],
 *   delegation: () => ["/svc/hello"],
 * });
 * ```
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import type { Filter } from "../core/service.ts";
import { requestWithMethod } from "../core/request_method.ts";
import type { DelegateNode } from "../dtab/delegate.ts";
import { reasonPhrase } from "./raw/reason_phrase.ts";

/** What the routing context of one endpoint is made of. */
export interface DiagnosticTraceInfo {
  /** The router's label. */
  readonly router: string;
  /**
   * The endpoint this filter sits over, `host:port`; without it, the request's `ctx.endpoint` as
   * the balancer set it for this attempt (one filter then serves every endpoint of a client).
   */
  readonly endpoint?: string | undefined;
  /** The client's endpoints now, `host:port` each. */
  readonly addresses: () => readonly string[];
  /** The delegation of the request's name to its client, one `  path (dentry)` line each. */
  readonly delegation: (ctx: Ctx) => readonly string[];
  /**
   * An h2 router's: its 400 names the field `max-forwards`, as Linkerd's H2DiagnosticTracer
   * (HTTP/1.1's DiagnosticTracer says `Max-Forwards`).
   */
  readonly h2?: boolean | undefined;
}

const ADD_CONTEXT = "l5d-add-context";
const MAX_FORWARDS = "max-forwards";
const CHUNKED_DISCARDED =
  "Diagnostic trace encountered chunked response. Response content discarded.";

/** The body of a trace answer: its text, or for a streamed one Linkerd's placeholder. */
async function traceBody(res: Response): Promise<string> {
  if (res.body === null || res.headers.has("content-length")) return await res.text();
  await res.body.cancel();
  const lines: string[] = [];
  for (const [k, v] of res.headers) lines.push(`${k}: ${v}`);
  const reason = res.statusText || reasonPhrase(res.status);
  lines.push(`HTTP ${res.status} - ${reason}`, CHUNKED_DISCARDED);
  return lines.join("\n");
}

/**
 * A header value read as Java's `Integer.parseInt` reads it (Linkerd's `toInt`): an optional sign
 * and decimal digits, within 32 bits (the header parser has already trimmed the value).
 *
 * @param text the header value
 * @returns the number, or undefined where Java throws `NumberFormatException`
 */
function javaInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

function truthy(v: string | null): boolean {
  if (v === null) return false;
  const t = v.trim().toLowerCase();
  return t === "true" || t === "1";
}

/**
 * The routing-context text of one hop (Linkerd's `RouterContextFormatter`).
 *
 * @param endpoint the selected address, `host:port`
 * @returns the lines, newline-terminated
 */
export function formatRouterContext(
  info: DiagnosticTraceInfo,
  ctx: Ctx,
  elapsedMs: number,
  endpoint: string,
): string {
  return [
    `--- Router: ${info.router} ---`,
    `request duration: ${Math.floor(elapsedMs)} ms`,
    `service name: ${ctx.dstStr}`,
    `client name: ${ctx.bound?.idStr ?? ""}`,
    `addresses: [${info.addresses().join(", ")}]`,
    `selected address: ${endpoint}`,
    `dtab resolution:`,
    ...info.delegation(ctx),
    "",
  ].join("\n");
}

/**
 * The delegation lines from a `/delegator.json` tree down to the leaf bound to `clientId`
 * (Linkerd's `DelegateTree.find`): `  <path>` or `  <path> (<prefix>=><dst>)` per node.
 *
 * @returns the lines, or `[]` when no leaf has that id
 */
export function delegationTo(tree: DelegateNode, clientId: string): string[] {
  const line = (n: DelegateNode) =>
    n.dentry ? `  ${n.path} (${n.dentry.prefix}=>${n.dentry.dst})` : `  ${n.path}`;
  const walk = (n: DelegateNode): string[] | undefined => {
    switch (n.type) {
      case "leaf":
        return n.bound.id === clientId ? [line(n)] : undefined;
      case "delegate": {
        const rest = walk(n.delegate);
        return rest ? [line(n), ...rest] : undefined;
      }
      case "alt":
        for (const c of n.alt) {
          const rest = walk(c);
          if (rest) return [line(n), ...rest];
        }
        return undefined;
      case "union":
        for (const w of n.union) {
          const rest = walk(w.tree);
          if (rest) return [line(n), ...rest];
        }
        return undefined;
      default:
        return undefined;
    }
  };
  return walk(tree) ?? [];
}

/**
 * The diagnostic tracer filter of one endpoint.
 *
 * @param info router, endpoint, the client's addresses and the delegation explainer
 * @returns the filter
 */
export function diagnosticTracer(info: DiagnosticTraceInfo): Filter {
  return function diagnosticTrace(req, ctx, next) {
    if (req.method !== "TRACE") return next(req, ctx);
    const mfText = req.headers.get(MAX_FORWARDS);
    const addCtx = truthy(req.headers.get(ADD_CONTEXT));
    const started = performance.now();
    // This attempt's endpoint, read now: a later attempt (a retry) sets `ctx.endpoint` anew.
    const endpoint = info.endpoint ?? ctx.endpoint;
    const withContext = async (res: Response): Promise<Response> => {
      if (!addCtx) return res;
      const text = (await traceBody(res)).trim();
      const elapsed = performance.now() - started;
      const body = `${text}\n\n${formatRouterContext(info, ctx, elapsed, endpoint)}`;
      const headers = new Headers(res.headers);
      headers.delete("content-length");
      headers.delete("transfer-encoding");
      return new Response(body, { status: res.status, statusText: res.statusText, headers });
    };
    if (mfText === null) return next(req, ctx).then(withContext);
    const mf = javaInt(mfText);
    if (mf === undefined) {
      return Promise.resolve(
        new Response(`Invalid value for ${info.h2 ? MAX_FORWARDS : "Max-Forwards"} header`, {
          status: 400,
          headers: { "content-type": "text/plain; charset=utf-8" },
        }),
      );
    }
    // A negative count matches none of Linkerd's cases: the request goes on untouched.
    if (mf < 0) return next(req, ctx);
    if (mf === 0) return withContext(new Response(null, { status: 200 }));
    const headers = new Headers(req.headers);
    headers.set(MAX_FORWARDS, String(mf - 1));
    // TRACE carries no content (RFC 9110 §9.3.8): the forwarded copy has none.
    const fwd = requestWithMethod(req.url, { method: "TRACE", headers, signal: req.signal });
    return next(fwd, ctx).then(withContext);
  };
}
