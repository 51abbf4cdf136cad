import { assert, assertEquals } from "../../tests/support/assert.ts";
import { BadDtab } from "../core/errors.ts";
import { showDtab } from "./dtab.ts";
import { dtabFromHeaders } from "./headers.ts";

const read = (pairs: [string, string][]) => {
  const h = new Headers();
  for (const [k, v] of pairs) h.append(k, v);
  return showDtab(dtabFromHeaders(h));
};

function errorOf(pairs: [string, string][]): BadDtab {
  try {
    read(pairs);
  } catch (e: unknown) {
    assert(e instanceof BadDtab, "expected BadDtab");
    return e;
  }
  throw new Error("did not throw");
}

Deno.test("dtabFromHeaders() appends l5d-dtab after l5d-ctx-dtab, so the user's entries win", () => {
  assertEquals(read([]), "");
  assertEquals(
    read([["l5d-dtab", "/svc/web => /svc/web-v2"], ["L5d-Ctx-Dtab", "/svc => /srv"]]),
    "/svc=>/srv;/svc/web=>/svc/web-v2",
  );
});

Deno.test("dtabFromHeaders() reads repeated headers in order", () => {
  assertEquals(read([["l5d-dtab", "/a => /b"], ["l5d-dtab", "/c => /d;"]]), "/a=>/b;/c=>/d");
  assertEquals(
    read([["dtab-local", "/a=>/b,/c=>/d"], ["dtab-local", "/e=>/f"]]),
    "/a=>/b;/c=>/d;/e=>/f",
  );
});

Deno.test("dtabFromHeaders() orders X-Dtab, Dtab-Local, l5d-ctx-dtab, l5d-dtab", () => {
  const b64 = (s: string) => btoa(s);
  assertEquals(
    read([
      ["l5d-dtab", "/4=>/4"],
      ["l5d-ctx-dtab", "/3=>/3"],
      ["dtab-local", "/2=>/2"],
      ["x-dtab-00-b", b64("/1b")],
      ["x-dtab-00-a", b64("/1")],
    ]),
    "/1=>/1b;/2=>/2;/3=>/3;/4=>/4",
  );
});

Deno.test("dtabFromHeaders() names the bad header and keeps the parser's position", () => {
  const e = errorOf([["l5d-dtab", "/svc => "]]);
  assertEquals(
    e.message,
    "Invalid l5d-dtab header: name (a path, '!', '~', '$' or '(') expected but end of input " +
      "found at '/svc =>[]' (offset 7, line 1, column 8)", // header values are trimmed
  );
  assertEquals(e.status, 400);
});

Deno.test("dtabFromHeaders() reports X-Dtab problems with Finagle's text", () => {
  assertEquals(errorOf([["x-dtab-01-a", "L2E="]]).message, "Unmatched X-Dtab headers");
  assertEquals(
    errorOf([["x-dtab-01-a", "#!"], ["x-dtab-01-b", "L2E="]]).message,
    "Value not b64-encoded: #!",
  );
  assertEquals(
    errorOf([["x-dtab-01-a", btoa("/a")], ["x-dtab-01-b", btoa("/a &")]]).message,
    "Invalid name: /a &",
  );
});
