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
