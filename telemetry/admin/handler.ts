/**
 * Admin handlers other folders contribute (metrics renderings, namer state, dashboards), so the
 * admin server depends on nothing but this interface (Linkerd's `Admin.WithHandlers`).
 *
 * @module
 */

/** One admin route. */
export interface AdminHandler {
  /** Path, e.g. `/admin/metrics.json`. */
  readonly path: string;
  /** HTTP method (default GET). */
  readonly method?: "GET" | "POST";
  /** Answer the request. */
  readonly handler: (req: Request) => Response | Promise<Response>;
}

/** The largest admin request body read (Finagle's default `maxRequestSize`, 5 MB). */
export const MAX_ADMIN_BODY_BYTES = 5 * 1024 * 1024;

/** An admin request body over {@linkcode MAX_ADMIN_BODY_BYTES}: 413, as Finagle's server. */
export class AdminBodyTooLarge extends Error {
  /** The status to answer with. */
  readonly status = 413;
  constructor(max: number) {
    super(`request body larger than ${max} bytes`);
    this.name = "AdminBodyTooLarge";
  }
}

/**
 * A request body as text, read up to `max` bytes (an unbounded `req.text()` would hold any
 * upload in memory).
 *
 * @param req the admin request
 * @param max the most bytes read
 * @returns the body decoded as UTF-8 ("" without a body)
 * @throws {AdminBodyTooLarge} past `max` (declared or read)
 * @example
 * ```ts
 * import { readAdminBody } from "./handler.ts";
 * await readAdminBody(new Request("http://a/", { method: "POST", body: "x=1" })); // "x=1"
 * ```
 */
export async function readAdminBody(req: Request, max = MAX_ADMIN_BODY_BYTES): Promise<string> {
  const body = req.body;
  if (body === null) return "";
  if (Number(req.headers.get("content-length") ?? 0) > max) {
    await body.cancel().catch(() => {});
    throw new AdminBodyTooLarge(max);
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) throw new AdminBodyTooLarge(max); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return await new Blob(chunks).text();
}
