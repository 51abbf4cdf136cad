/**
 * The Linkerd 1.x HTTP response classifier kinds (`service.responseClassifier.kind`):
 *
 * | kind | failures | retryable methods |
 * |---|---|---|
 * | `io.l5d.http.nonRetryable5XX` (default) | 5XX, errors | none |
 * | `io.l5d.http.retryableRead5XX` | 5XX, errors | GET HEAD OPTIONS TRACE |
 * | `io.l5d.http.retryableIdempotent5XX` | 5XX, errors | + PUT DELETE |
 * | `io.l5d.http.retryableAll5XX` | 5XX, errors | + POST PATCH |
 * | `io.l5d.http.allSuccessful` | errors only | none |
 *
 * Shared rules (headers, never-delivered errors, timeouts) are in `classifier.ts`. The
 * `io.l5d.h2.*` names of the same kinds map to the same classifiers (gRPC trailer classifiers
 * are out of scope here). `allSuccessful` ignores `l5d-success-class`: every *response* is a
 * success; a rejection (no response at all) is still a failure (failure accrual counts it), not
 * retryable. Never-delivered requests are requeued by the client whatever the kind
 * (`requeues.ts`).
 *
 * Requests whose body went past the replay buffer are made non-retryable by `retries`, not
 * here (Linkerd marks every chunked request non-retryable; we replay up to a cap).
 *
 * @example
 * ```ts
 * import { classifierFor } from "./classifiers.ts";
 * const c = classifierFor("io.l5d.http.retryableRead5XX");
 * c.response(new Request("http://a/"), new Response(null, { status: 503 }));
 * // { success: false, retryable: true }
 * ```
 *
 * @module
 */
import { FAILURE, makeClassifier, type ResponseClassifier, SUCCESS } from "./classifier.ts";
import {
  GRPC_CLASSIFIER_KINDS,
  grpcClassifier,
  type GrpcClassifierConfig,
} from "./grpc_classifiers.ts";

/** The default kind. */
export const DEFAULT_CLASSIFIER_KIND = "io.l5d.http.nonRetryable5XX";

/** Every supported kind (the `io.l5d.http.` names). */
export const CLASSIFIER_KINDS = [
  "io.l5d.http.nonRetryable5XX",
  "io.l5d.http.retryableRead5XX",
  "io.l5d.http.retryableIdempotent5XX",
  "io.l5d.http.retryableAll5XX",
  "io.l5d.http.allSuccessful",
] as const;

/** A supported kind. */
export type ClassifierKind = typeof CLASSIFIER_KINDS[number];

const READ = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const IDEMPOTENT = new Set([...READ, "PUT", "DELETE"]);
const ALL = new Set([...IDEMPOTENT, "POST", "PATCH"]);

function is5xx(status: number): boolean {
  return status >= 500 && status <= 599;
}

function never(): boolean {
  return false;
}

/** 5XX and errors are failures; nothing is retryable (requeues still re-send never-delivered ones). */
export const nonRetryable5XX: ResponseClassifier = makeClassifier(
  "io.l5d.http.nonRetryable5XX",
  is5xx,
  never,
);

/** 5XX and errors are failures; retryable for GET, HEAD, OPTIONS, TRACE. */
export const retryableRead5XX: ResponseClassifier = makeClassifier(
  "io.l5d.http.retryableRead5XX",
  is5xx,
  (m) => READ.has(m),
);

/** Like retryableRead5XX, plus PUT and DELETE. */
export const retryableIdempotent5XX: ResponseClassifier = makeClassifier(
  "io.l5d.http.retryableIdempotent5XX",
  is5xx,
  (m) => IDEMPOTENT.has(m),
);

/** Like retryableIdempotent5XX, plus POST and PATCH. */
export const retryableAll5XX: ResponseClassifier = makeClassifier(
  "io.l5d.http.retryableAll5XX",
  is5xx,
  (m) => ALL.has(m),
);

/** Every response is a success; rejections are failures, not retryable. */
export const allSuccessful: ResponseClassifier = {
  kind: "io.l5d.http.allSuccessful",
  response: () => SUCCESS,
  error: () => FAILURE,
};

const BY_KIND: ReadonlyMap<string, ResponseClassifier> = new Map(
  [nonRetryable5XX, retryableRead5XX, retryableIdempotent5XX, retryableAll5XX, allSuccessful]
    .flatMap((c) => {
      const short = c.kind.slice("io.l5d.http.".length);
      return [[c.kind, c], [`io.l5d.h2.${short}`, c], [`io.l5d.${short}`, c]] as const;
    }),
);

/**
 * The classifier for a Linkerd kind (or a whole `responseClassifier` config, which the gRPC
 * kinds need for their status-code lists).
 *
 * @param kind `io.l5d.http.<name>`, `io.l5d.h2.<name>`, `io.l5d.h2.grpc.<name>` or the old
 *   `io.l5d.<name>`; absent = the default `io.l5d.http.nonRetryable5XX`
 * @returns the classifier
 * @throws {Error} for an unknown kind (config validation should have caught it)
 *
 * @example
 * ```ts
 * import { classifierFor } from "./classifiers.ts";
 * const c = classifierFor("io.l5d.http.retryableIdempotent5XX");
 * c.error(new Request("http://a/", { method: "PUT" }), new Error("?")); // FAILURE
 * ```
 */
export function classifierFor(
  kind: string | GrpcClassifierConfig = DEFAULT_CLASSIFIER_KIND,
): ResponseClassifier {
  if (typeof kind !== "string") {
    if (GRPC_CLASSIFIER_KINDS.includes(kind.kind)) return grpcClassifier(kind);
    kind = kind.kind;
  } else if (GRPC_CLASSIFIER_KINDS.includes(kind)) return grpcClassifier({ kind });
  const c = BY_KIND.get(kind);
  if (!c) throw new Error(`unknown responseClassifier kind: ${kind}`);
  return c;
}
