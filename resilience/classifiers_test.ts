import { assertEquals } from "../tests/support/assert.ts";
import {
  ConnectFailed,
  DeadlineExceeded,
  Overloaded,
  RequestTimeout,
  UpstreamError,
} from "../router/core/errors.ts";
import { FAILURE, RETRYABLE_FAILURE, SUCCESS } from "./classifier.ts";
import { CLASSIFIER_KINDS, classifierFor } from "./classifiers.ts";

const METHODS = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST", "PATCH"];
const STATUSES = [200, 204, 302, 404, 429, 500, 502, 503, 504, 599];

/** The methods each kind retries (Linkerd's ResponseClassifiers). */
const RETRYABLE_METHODS: Record<string, readonly string[]> = {
  "io.l5d.http.nonRetryable5XX": [],
  "io.l5d.http.retryableRead5XX": ["GET", "HEAD", "OPTIONS", "TRACE"],
  "io.l5d.http.retryableIdempotent5XX": ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"],
  "io.l5d.http.retryableAll5XX": METHODS,
  "io.l5d.http.allSuccessful": [],
};

function request(method: string): Request {
  // fetch's Request refuses TRACE; the classifier only reads `method`.
  if (method === "TRACE") return { method } as Request;
  return new Request("http://a/", { method });
}

Deno.test("classifierFor() labels every kind × method × status as Linkerd does", () => {
  let cases = 0;
  for (const kind of CLASSIFIER_KINDS) {
    const c = classifierFor(kind);
    for (const method of METHODS) {
      for (const status of STATUSES) {
        const got = c.response(request(method), new Response(null, { status }));
        const failure = kind !== "io.l5d.http.allSuccessful" && status >= 500;
        const want = !failure
          ? SUCCESS
          : RETRYABLE_METHODS[kind]!.includes(method)
          ? RETRYABLE_FAILURE
          : FAILURE;
        assertEquals(got, want, `${kind} ${method} ${status}`);
        cases++;
      }
    }
  }
  assertEquals(cases, 5 * 8 * 10);
});

Deno.test("classifierFor() labels errors: retryable only for the kind's retryable methods", () => {
  for (const kind of CLASSIFIER_KINDS) {
    const c = classifierFor(kind);
    for (const method of METHODS) {
      const r = request(method);
      const retryableMethod = RETRYABLE_METHODS[kind]!.includes(method);
      // Never delivered: requeued by the client whatever the kind; retried by the service
      // only where the kind retries the method (Linkerd's write exceptions).
      assertEquals(
        c.error(r, new ConnectFailed("refused")),
        retryableMethod ? RETRYABLE_FAILURE : FAILURE,
        `${kind} ${method} connect`,
      );
      assertEquals(
        c.error(r, new Overloaded("shed")),
        retryableMethod ? RETRYABLE_FAILURE : FAILURE,
        `${kind} ${method} shed`,
      );
      assertEquals(
        c.error(r, new RequestTimeout("slow")),
        retryableMethod ? RETRYABLE_FAILURE : FAILURE,
        `${kind} ${method} timeout`,
      );
      assertEquals(
        c.error(r, new UpstreamError("reset")),
        retryableMethod ? RETRYABLE_FAILURE : FAILURE,
        `${kind} ${method} closed`,
      );
      assertEquals(c.error(r, new DeadlineExceeded("late")), FAILURE, `${kind} deadline`);
      assertEquals(c.error(r, new Error("boom")), FAILURE, `${kind} unknown`);
      assertEquals(c.error(r, new DOMException("gone", "AbortError")), FAILURE, `${kind} abort`);
    }
  }
});

Deno.test("classifierFor() finds typed errors through the cause chain", () => {
  const c = classifierFor("io.l5d.http.retryableRead5XX");
  const wrapped = new Error("fetch failed", { cause: new ConnectFailed("refused") });
  assertEquals(c.error(request("GET"), wrapped), RETRYABLE_FAILURE);
  assertEquals(c.error(request("POST"), wrapped), FAILURE);
  assertEquals(classifierFor().error(request("GET"), wrapped), FAILURE);
});

Deno.test("classifierFor() accepts h2 and legacy names and defaults to nonRetryable5XX", () => {
  assertEquals(classifierFor().kind, "io.l5d.http.nonRetryable5XX");
  assertEquals(classifierFor("io.l5d.h2.retryableRead5XX").kind, "io.l5d.http.retryableRead5XX");
  assertEquals(classifierFor("io.l5d.retryableAll5XX").kind, "io.l5d.http.retryableAll5XX");
  let threw = false;
  try {
    classifierFor("io.l5d.http.bogus");
  } catch {
    threw = true;
  }
  assertEquals(threw, true);
});

Deno.test("allSuccessful ignores l5d-success-class and l5d-retryable", () => {
  const c = classifierFor("io.l5d.http.allSuccessful");
  const res = new Response(null, {
    status: 503,
    headers: { "l5d-success-class": "0.0", "l5d-retryable": "true" },
  });
  assertEquals(c.response(request("GET"), res), SUCCESS);
});
