import { assert, assertEquals } from "../../tests/support/assert.ts";
import { contextView, isContextHeader, NO_CONTEXT_HEADERS } from "./context_headers.ts";
import { dtabFromHeaders, showDtab } from "../dtab/mod.ts";

Deno.test("isContextHeader() picks the names decoders read and nothing else", () => {
  for (
    const n of [
      "l5d-dtab",
      "l5d-ctx-deadline",
      "l5d-sample",
      "x-b3-traceid",
      "b3",
      "traceparent",
      "tracestate",
      "grpc-timeout",
      "via",
    ]
  ) assert(isContextHeader(n), n);
  for (
    const n of [
      "host",
      "accept",
      "b",
      "b33",
      "x-request-id",
      "trace",
      "l5d",
      "viax",
      "",
      "dtab-local",
      "x-dtab-00-a",
    ]
  ) {
    assert(!isContextHeader(n), n);
  }
});

Deno.test("contextView() reads like Headers for dtab decoding, X-Dtab pairs included", () => {
  const view = contextView(
    new Map([
      ["x-dtab-00-a", btoa("/svc/a")],
      ["x-dtab-00-b", btoa("/svc/b")],
      ["l5d-dtab", "/svc/c => /svc/d"],
    ]),
  );
  assertEquals(view.get("l5d-dtab"), "/svc/c => /svc/d");
  assertEquals(view.get("accept"), null);
  assert(view.has("x-dtab-00-a"));
  assertEquals(showDtab(dtabFromHeaders(view)), "/svc/a=>/svc/b;/svc/c=>/svc/d");
  assertEquals(dtabFromHeaders(NO_CONTEXT_HEADERS).length, 0);
  assertEquals([...NO_CONTEXT_HEADERS].length, 0);
});
