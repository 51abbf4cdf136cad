import { assert, assertEquals } from "../../tests/support/assert.ts";
import { appendField, field, setField } from "./response_fields.ts";
import { fastResponsesAvailable, makeResponse, ownHeaderList } from "./h1/_response_internals.ts";

/** A response as the HTTP/1.1 client builds it from a parsed head. */
function upstream(): Response {
  return makeResponse(200, "OK", [
    ["Server", "nginx"],
    ["x-a", "1"],
    ["l5d-success-class", "0.0"],
    ["x-a", "2"],
    ["l5d-success-class", "0.5"],
  ], new TextEncoder().encode("hello"));
}

/** The same edits through `Headers`. */
function edited(rsp: Response, through: "fields" | "headers"): [string, string][] {
  const reads: (string | null)[] = [];
  if (through === "fields") {
    reads.push(field(rsp, "x-a"), field(rsp, "l5d-success-class"), field(rsp, "absent"));
    appendField(rsp, "via", "1.1 linkerd");
    setField(rsp, "l5d-success-class", "1.0");
    setField(rsp, "l5d-new", "x");
    reads.push(field(rsp, "l5d-success-class"), field(rsp, "via"));
    // The list the raw engine writes: `set` kept the first field's place and dropped the other.
    assertEquals(ownHeaderList(rsp), [
      ["server", "nginx"],
      ["x-a", "1"],
      ["l5d-success-class", "1.0"],
      ["x-a", "2"],
      ["via", "1.1 linkerd"],
      ["l5d-new", "x"],
    ]);
  } else {
    const h = rsp.headers;
    reads.push(h.get("x-a"), h.get("l5d-success-class"), h.get("absent"));
    h.append("via", "1.1 linkerd");
    h.set("l5d-success-class", "1.0");
    h.set("l5d-new", "x");
    reads.push(h.get("l5d-success-class"), h.get("via"));
  }
  assertEquals(reads, ["1, 2", "0.0, 0.5", null, "1.0", "1.1 linkerd"]);
  return [...rsp.headers];
}

Deno.test("response fields: reads and edits match Headers get/append/set, on the wire list too", () => {
  assert(fastResponsesAvailable(), "Deno 2.9's Response internals");
  const fast = upstream();
  assert(ownHeaderList(fast) !== null, "an h1 response's list is handed out before `headers`");
  const viaFields = edited(fast, "fields");
  assertEquals(viaFields, edited(upstream(), "headers"));
  assertEquals(viaFields, [
    ["l5d-new", "x"],
    ["l5d-success-class", "1.0"],
    ["server", "nginx"],
    ["via", "1.1 linkerd"],
    ["x-a", "1, 2"],
  ]);
  assertEquals(ownHeaderList(fast), null, "once `headers` exist, edits go through them");
});

Deno.test("response fields: any other response goes through its Headers", () => {
  const plain = new Response("x", { headers: { "L5d-Success-Class": "0.0" } });
  assertEquals(ownHeaderList(plain), null);
  assertEquals(field(plain, "l5d-success-class"), "0.0");
  setField(plain, "l5d-success-class", "1.0");
  appendField(plain, "via", "1.1 linkerd");
  assertEquals(plain.headers.get("l5d-success-class"), "1.0");
  assertEquals(plain.headers.get("via"), "1.1 linkerd");
  // A response whose Headers were read first: the edits still show (and are not lost).
  const read = upstream();
  assertEquals(read.headers.get("via"), null);
  appendField(read, "via", "1.1 linkerd");
  assertEquals(read.headers.get("via"), "1.1 linkerd");
  // Immutable headers throw as Headers does.
  let threw = false;
  try {
    setField(Response.error(), "l5d-success-class", "1.0");
  } catch (e: unknown) {
    threw = e instanceof TypeError;
  }
  assert(threw, "immutable headers refuse the edit");
});
