import { assertEquals } from "../tests/support/assert.ts";
import {
  classificationLabel,
  FAILURE,
  makeClassifier,
  RETRYABLE_FAILURE,
  SUCCESS,
  successClassValue,
} from "./classifier.ts";
import { nonRetryable5XX, retryableRead5XX } from "./classifiers.ts";

function res(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}
const GET = new Request("http://a/");
const POST = new Request("http://a/", { method: "POST" });

Deno.test("response() upgrades a failure to retryable on l5d-retryable: true", () => {
  assertEquals(nonRetryable5XX.response(POST, res(503)), FAILURE);
  assertEquals(
    nonRetryable5XX.response(POST, res(503, { "l5d-retryable": "true" })),
    RETRYABLE_FAILURE,
  );
  assertEquals(
    nonRetryable5XX.response(POST, res(503, { "l5d-retryable": "TRUE " })),
    RETRYABLE_FAILURE,
  );
  assertEquals(nonRetryable5XX.response(POST, res(503, { "l5d-retryable": "false" })), FAILURE);
  // It never turns a success into a failure.
  assertEquals(nonRetryable5XX.response(POST, res(200, { "l5d-retryable": "true" })), SUCCESS);
});

Deno.test("response() trusts an upstream l5d-success-class for success", () => {
  assertEquals(nonRetryable5XX.response(GET, res(500, { "l5d-success-class": "1.0" })), SUCCESS);
  assertEquals(nonRetryable5XX.response(GET, res(500, { "l5d-success-class": "0.5" })), SUCCESS);
  assertEquals(nonRetryable5XX.response(GET, res(200, { "l5d-success-class": "0.0" })), FAILURE);
  // Garbage is a failure, as Linkerd's successClassClassifier.
  assertEquals(nonRetryable5XX.response(GET, res(200, { "l5d-success-class": "yes" })), FAILURE);
});

Deno.test("response() keeps the kind's retry rule when an upstream says failure", () => {
  // An upstream Switchyard marks every 5XX "0.0": a read must stay retryable.
  assertEquals(
    retryableRead5XX.response(GET, res(503, { "l5d-success-class": "0.0" })),
    RETRYABLE_FAILURE,
  );
  // A failed 200 is not a 5XX: only l5d-retryable makes it retryable.
  assertEquals(retryableRead5XX.response(GET, res(200, { "l5d-success-class": "0.0" })), FAILURE);
  assertEquals(
    retryableRead5XX.response(
      GET,
      res(200, { "l5d-success-class": "0.0", "l5d-retryable": "true" }),
    ),
    RETRYABLE_FAILURE,
  );
});

Deno.test("classificationLabel() and successClassValue() render a class", () => {
  assertEquals(classificationLabel(SUCCESS), "success");
  assertEquals(classificationLabel(FAILURE), "failure");
  assertEquals(classificationLabel(RETRYABLE_FAILURE), "retryable_failure");
  assertEquals(successClassValue(SUCCESS), "1.0");
  assertEquals(successClassValue(RETRYABLE_FAILURE), "0.0");
});

Deno.test("makeClassifier() builds a custom kind with the shared header rules", () => {
  const c = makeClassifier("x.only429", (s) => s === 429, () => true);
  assertEquals(c.response(GET, res(500)), SUCCESS);
  assertEquals(c.response(GET, res(429)), RETRYABLE_FAILURE);
});
