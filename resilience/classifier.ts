/**
 * Response classification: every attempt's outcome (a response or a rejection) is labelled
 * success / failure / retryable failure. Retries act on `retryable`; stats and failure accrual
 * act on `success`. An upstream 5xx is a response, not an error: only the label changes.
 *
 * A classifier is configured per logical service (`service.responseClassifier`): `retries` uses
 * it in the path stack, service stats count with it, and the client/endpoint levels (client
 * stats, `failureAccrual` via `classifierOf`) get the request's service classifier from the
 * router. This file holds the types and the rules every kind shares (the kinds are in
 * `classifiers.ts`):
 * - `l5d-success-class` on a response, set by an upstream Switchyard/Linkerd's classifier, is
 *   trusted for success ("1.0" success, "0.0" failure; any value > 0 is success, garbage is
 *   failure, as Linkerd's `ClassifierFilter.successClassClassifier`).
 * - `l5d-retryable: true` on a failed response upgrades it to retryable (the upstream router
 *   says the request was never delivered).
 * - Rejections are retryable only for the retryable kinds and their methods: a never-delivered
 *   request (`ConnectFailed`, `Overloaded`: the typed error has `retryable` set), a timeout
 *   (`RequestTimeout`) and "written, then the connection broke" (`UpstreamError`), as Linkerd's
 *   `TimeoutAndWriteExceptionsOnly` / `ChannelClosedExceptionsOnly`. Under
 *   `io.l5d.http.nonRetryable5XX` (the default) nothing is retried at the service level: a
 *   never-delivered request is requeued by the client (`requeues.ts`, its own budget), which
 *   does not ask the classifier.
 * - `DeadlineExceeded` and cancellations are never retryable: there is no time left, or nobody
 *   is waiting.
 *
 * @example
 * ```ts
 * import { classificationLabel, RETRYABLE_FAILURE } from "./classifier.ts";
 * classificationLabel(RETRYABLE_FAILURE); // "retryable_failure"
 * ```
 *
 * @module
 */
import { findSwitchyardError, RequestTimeout, UpstreamError } from "../router/core/errors.ts";
import type { Ctx } from "../router/core/ctx.ts";
import { field } from "../router/http/response_fields.ts";

/** The label of one outcome. */
export interface ResponseClass {
  /** Counts as a success (stats, failure accrual). */
  readonly success: boolean;
  /** A failure that may be retried (meaningless when `success`). */
  readonly retryable: boolean;
}

/** Success. */
export const SUCCESS: ResponseClass = Object.freeze({ success: true, retryable: false });
/** Failure, not retryable. */
export const FAILURE: ResponseClass = Object.freeze({ success: false, retryable: false });
/** Failure, retryable. */
export const RETRYABLE_FAILURE: ResponseClass = Object.freeze({ success: false, retryable: true });

/** Classifies attempt outcomes for one logical service (a Linkerd `responseClassifier`). */
export interface ResponseClassifier {
  /** The Linkerd kind, e.g. `io.l5d.http.retryableRead5XX`. */
  readonly kind: string;
  /** Label a response to `req`. */
  response(req: Request, res: Response): ResponseClass;
  /** Label a rejection of `req`. */
  error(req: Request, err: unknown): ResponseClass;
}

/** Response header set by an upstream router's classifier (Linkerd wire format). */
export const SUCCESS_CLASS_HEADER = "l5d-success-class";
/**
 * `classifier.response(req, rsp)`, remembered on `ctx` for that response and classifier: every
 * level of one request (service, client and endpoint stats, retries, failure accrual,
 * `l5d-success-class`) classifies the same response with the same classifier, and each call
 * reads response headers (issue 6).
 *
 * @example
 * ```ts ignore
 * const cls = classifyResponse(classifier, req, rsp, ctx);
 * ```
 */
export function classifyResponse(
  classifier: ResponseClassifier,
  req: Request,
  rsp: Response,
  ctx: Ctx,
): ResponseClass {
  if (ctx.classifiedRsp === rsp && ctx.classifiedBy === classifier) {
    return ctx.classified as ResponseClass;
  }
  const cls = classifier.response(req, rsp);
  ctx.classifiedRsp = rsp;
  ctx.classifiedBy = classifier;
  ctx.classified = cls;
  return cls;
}

/** Response header marking a failure the caller may retry. */
export const RETRYABLE_HEADER = "l5d-retryable";

/**
 * The label as a metric/ctx string.
 *
 * @returns `"success"`, `"failure"` or `"retryable_failure"`
 *
 * @example
 * ```ts
 * import { classificationLabel, FAILURE } from "./classifier.ts";
 * classificationLabel(FAILURE); // "failure"
 * ```
 */
export function classificationLabel(cls: ResponseClass): string {
  return cls.success ? "success" : cls.retryable ? "retryable_failure" : "failure";
}

/**
 * The `l5d-success-class` value this hop reports for a classification (Linkerd prints
 * `fractionalSuccess` as a double).
 *
 * @returns `"1.0"` or `"0.0"`
 *
 * @example
 * ```ts
 * import { SUCCESS, successClassValue } from "./classifier.ts";
 * successClassValue(SUCCESS); // "1.0"
 * ```
 */
export function successClassValue(cls: ResponseClass): string {
  return cls.success ? "1.0" : "0.0";
}

/**
 * Build a response classifier from a kind's status rule, applying the shared header rules.
 *
 * @param kind the Linkerd kind
 * @param isFailure whether a status is a failure for this kind (5xx for all but allSuccessful)
 * @param retryableMethod whether failures of this method may be retried for this kind
 * @returns the classifier
 *
 * @example
 * ```ts
 * import { makeClassifier } from "./classifier.ts";
 * const only503 = makeClassifier("x.only503", (s) => s === 503, (m) => m === "GET");
 * ```
 */
export function makeClassifier(
  kind: string,
  isFailure: (status: number) => boolean,
  retryableMethod: (method: string) => boolean,
): ResponseClassifier {
  return {
    kind,
    response(req, res) {
      const sc = field(res, SUCCESS_CLASS_HEADER);
      const failed = sc !== null ? !(Number(sc) > 0) : isFailure(res.status);
      if (!failed) return SUCCESS;
      if (isFailure(res.status) && retryableMethod(req.method)) return RETRYABLE_FAILURE;
      return field(res, RETRYABLE_HEADER)?.trim().toLowerCase() === "true"
        ? RETRYABLE_FAILURE
        : FAILURE;
    },
    error(req, err) {
      if (!retryableMethod(req.method)) return FAILURE;
      const e = findSwitchyardError(err);
      return e?.retryable || e instanceof RequestTimeout || e instanceof UpstreamError
        ? RETRYABLE_FAILURE
        : FAILURE;
    },
  };
}
