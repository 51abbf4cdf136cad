import { assertEquals } from "../../tests/support/assert.ts";
import { decodeL5dCtxTrace, encodeL5dCtxTrace } from "./l5d_ctx_trace.ts";

function bytesB64(words: bigint[]): string {
  const b = new Uint8Array(words.length * 8);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setBigUint64(i * 8, w));
  return btoa(String.fromCharCode(...b));
}

Deno.test("encodeL5dCtxTrace() writes Finagle's 32-byte layout: span, parent, trace, flags", () => {
  // Finagle TraceId.serialize: put64be(span) put64be(parent) put64be(trace) put64be(flags)
  const b64 = encodeL5dCtxTrace({
    traceId: "0000000000000003",
    spanId: "0000000000000001",
    parentSpanId: "0000000000000002",
    sampled: true,
  });
  assertEquals(b64, bytesB64([1n, 2n, 3n, 6n])); // SamplingKnown|Sampled
  const unsampled = encodeL5dCtxTrace({
    traceId: "0000000000000003",
    spanId: "0000000000000001",
    parentSpanId: "",
    sampled: false,
  });
  assertEquals(unsampled, bytesB64([1n, 1n, 3n, 2n]), "root: parent = span; SamplingKnown only");
});

Deno.test("encodeL5dCtxTrace() appends traceIdHigh for 128-bit ids (40 bytes)", () => {
  const b64 = encodeL5dCtxTrace({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    parentSpanId: "",
    sampled: undefined,
  });
  assertEquals(
    b64,
    bytesB64([
      0x00f067aa0ba902b7n,
      0x00f067aa0ba902b7n,
      0xa3ce929d0e0e4736n,
      0n,
      0x4bf92f3577b34da6n,
    ]),
  );
});

Deno.test("decodeL5dCtxTrace() round-trips and reads Finagle flags", () => {
  for (
    const id of [
      { traceId: "a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "", sampled: true },
      {
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
        parentSpanId: "1111111111111111",
        sampled: false,
      },
      {
        traceId: "a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
        parentSpanId: "",
        sampled: undefined,
      },
    ]
  ) assertEquals(decodeL5dCtxTrace(encodeL5dCtxTrace(id)), id);
  // Debug (bit 0) means sampled, whatever the other bits say.
  assertEquals(decodeL5dCtxTrace(bytesB64([1n, 1n, 3n, 1n]))?.sampled, true);
  // A 40-byte id with a zero high half is the 64-bit id.
  assertEquals(decodeL5dCtxTrace(bytesB64([1n, 1n, 3n, 0n, 0n]))?.traceId, "0000000000000003");
});

Deno.test("decodeL5dCtxTrace() ignores malformed values", () => {
  assertEquals(decodeL5dCtxTrace("not base64!"), undefined);
  assertEquals(decodeL5dCtxTrace(btoa("short")), undefined);
  assertEquals(decodeL5dCtxTrace(bytesB64([1n, 2n, 3n])), undefined, "24 bytes");
  assertEquals(decodeL5dCtxTrace(bytesB64([1n, 2n, 0n, 6n])), undefined, "zero trace id");
  assertEquals(decodeL5dCtxTrace(bytesB64([0n, 2n, 3n, 6n])), undefined, "zero span id");
  assertEquals(decodeL5dCtxTrace(""), undefined);
});

Deno.test("decodeL5dCtxTrace() reads a header a real Linkerd 1.x sent (l5d-reqid f2fd78005d756b0e)", () => {
  // Captured beside `l5d-reqid: f2fd78005d756b0e` from a Linkerd 1.x hop (public app logs).
  const header = "vYKCjy8tCNLy/XgAXXVrDvL9eABddWsOAAAAAAAAAAA=";
  const id = decodeL5dCtxTrace(header);
  assertEquals(id, {
    traceId: "f2fd78005d756b0e",
    spanId: "bd82828f2f2d08d2",
    parentSpanId: "f2fd78005d756b0e",
    sampled: undefined,
  });
  assertEquals(encodeL5dCtxTrace(id!), header, "re-encodes byte for byte");
});
