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

Deno.test("response() ignores an upstream l5d-success-class: the kind's own status rule decides", () => {
  // Linkerd reads l5d-success-class only in the server's classifier (Http.Server/H2.Server
  // `successClassClassifier`); the service/client classifiers (ResponseClassifiers.scala) look
  // at the status alone, as ResponseClassifiersTest's cases do.
  assertEquals(nonRetryable5XX.response(GET, res(500, { "l5d-success-class": "1.0" })), FAILURE);
  assertEquals(nonRetryable5XX.response(GET, res(200, { "l5d-success-class": "0.0" })), SUCCESS);
  assertEquals(
    retryableRead5XX.response(GET, res(503, { "l5d-success-class": "1.0" })),
    RETRYABLE_FAILURE,
  );
  // A 200 is a success whatever the headers say (HeaderRetryable only upgrades failures).
  assertEquals(
    retryableRead5XX.response(
      GET,
      res(200, { "l5d-success-class": "0.0", "l5d-retryable": "true" }),
    ),
    SUCCESS,
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
