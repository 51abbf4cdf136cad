/**
 * The built-in `/$/io.buoyant.http.status` namer (L1
 * `router/http/src/main/scala/io/buoyant/http/status.scala`, a Finagle `ServiceNamer`):
 * `/$/io.buoyant.http.status/<code>[/residual...]` binds to a service that answers every request
 * with that status and an empty body, without any upstream. A code that is not an integer in
 * 100..599, or no code at all, is Neg (L1 `StatusTest` "status: invalid", "status: no code").
 *
 * The bound id is `/$/io.buoyant.http.status/<code>`; its one address carries the status in
 * `meta.httpStatus` (host `io.buoyant.http.status`, port the code), which the client stack answers
 * itself instead of connecting (`router/stacks.ts`).
 *
 * @module
 */
import { constVar, type Var } from "../router/core/var.ts";
import type { Address, Namer } from "./types.ts";
import { makeBound } from "./bound.ts";
import { boundedCache, leafBound, type Lookup, NEG } from "./_activity.ts";
import { pathKey } from "./_path.ts";

/** The `/$/` name this namer answers. */
export const kind = "io.buoyant.http.status";

/** The `meta` key of an address that is answered with a fixed status. */
export const HTTP_STATUS_META = "httpStatus";

/**
 * The fixed status an address stands for, if it is one of this namer's.
 *
 * @param a An endpoint address.
 * @returns The status, or undefined for a real endpoint.
 * @example
 * ```ts
 * import { fixedStatusOf } from "./http_status.ts";
 * fixedStatusOf({ host: "io.buoyant.http.status", port: 401, weight: 1, meta: { httpStatus: 401 } }); // 401
 * ```
 */
export function fixedStatusOf(a: Address): number | undefined {
  const s = a.meta?.[HTTP_STATUS_META];
  return typeof s === "number" ? s : undefined;
}

/**
 * The answer of a fixed-status address: that status, an empty body, `headers`.
 *
 * The web `Response` constructor refuses a status under 200 other than 101, but status.scala
 * answers any code in 100..599 (`Response(Status.fromCode(code))`), so a 1xx is a 204 `Response`
 * whose own `status` reads the code: the raw HTTP/1.1 engine writes `rsp.status` as the status
 * line, with no body and no Content-Length, and closes the connection after it, as Finagle does
 * (its ResponseConformanceFilter strips a 1xx's Content-Length, then its ConnectionManager closes
 * a response without a length).
 *
 * @param status The code, 100..599.
 * @param headers The answer's fields.
 * @returns The answer.
 * @example
 * ```ts
 * import { fixedStatusResponse } from "./http_status.ts";
 * fixedStatusResponse(103, {}).status; // 103
 * ```
 */
export function fixedStatusResponse(status: number, headers: HeadersInit): Response {
  if (status >= 200 || status === 101) return new Response(null, { status, headers });
  const rsp = new Response(null, { status: 204, headers });
  Object.defineProperty(rsp, "status", { value: status });
  Object.defineProperty(rsp, "statusText", { value: "" });
  return rsp;
}

/**
 * Make the `/$/io.buoyant.http.status` namer.
 *
 * @returns The namer.
 * @example
 * ```ts
 * import { createHttpStatusNamer } from "./http_status.ts";
 * createHttpStatusNamer().lookup(["401", "foo"]).get(); // bound /401, residual /foo
 * createHttpStatusNamer().lookup(["foo"]).get(); // neg
 * ```
 */
export function createHttpStatusNamer(): Namer {
  const neg: Var<Lookup> = constVar(NEG);
  const lookups = boundedCache<Var<Lookup>>(1000);
  return {
    kind,
    lookup(path) {
      const [codeText] = path;
      // Scala's `toInt`: an optional sign and decimal digits.
      if (codeText === undefined || !/^[+-]?\d{1,10}$/.test(codeText)) return neg;
      const code = Number(codeText);
      if (code < 100 || code >= 600) return neg;
      const key = pathKey(path);
      const hit = lookups.get(key);
      if (hit) return hit;
      const addr: Address = {
        host: kind,
        port: code,
        weight: 1,
        meta: { [HTTP_STATUS_META]: code },
      };
      const bound = makeBound(
        [String(code)],
        constVar({ type: "bound", addrs: [addr] }),
        path.slice(1),
      );
      const result = constVar(leafBound(bound));
      lookups.set(key, result);
      return result;
    },
  };
}
