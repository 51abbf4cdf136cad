/**
 * Linkerd 1.x's h2 retry and stream-classification tests, run against the real Switchyard
 * process with an HTTP/2 upstream peer (`tests/support/h2_peer.ts h2-echo`) and nghttp:
 * - router/h2/src/test/.../ClassifiedRetryFilterTest.scala (through a router: the service's
 *   `retries/*` stats, with io.l5d.h2.grpc.default classifying the trailers' `grpc-status`)
 * - linkerd/protocol/h2/src/e2e/.../StreamClassificationEndToEndTest.scala
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { nghttp, startPortPeer } from "../support/h2_peers.ts";

/** nghttp -v's received fields, split at the first END_HEADERS: `[head, trailers]`. */
function headAndTrailers(verbose: string): [string[], string[]] {
  const head: string[] = [];
  const trailers: string[] = [];
  let inHead = true;
  let seenHead = false;
  for (const line of verbose.split("\n")) {
    const m = /recv \(stream_id=\d+\) (\S+: .*)$/.exec(line);
    if (m) {
      if (seenHead) inHead = false;
      (inHead ? head : trailers).push(m[1]!);
    } else if (/recv HEADERS frame/.test(line) && head.length > 0) seenHead = true;
  }
  return [head, trailers];
}

/** POST `body` to `url` with nghttp -v (the body from a file). */
async function post(url: string, body: string): Promise<string> {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, body);
    return await nghttp(["-v", "-H", ":authority: dog", "-d", file, url]);
  } finally {
    await Deno.remove(file);
  }
}

const RETRY_STATS = [
  "total",
  "request_stream_too_long",
  "response_stream_too_long",
  "classification_timeout",
];

/** The service's `retries/*` counters (0 when absent) and `per_request` sum. */
async function retryStats(admin: string, svc = "rt/h2/service/svc/dog") {
  const m = await adminMetrics(admin);
  const out: Record<string, number> = {};
  for (const k of RETRY_STATS) out[k] = m[`${svc}/retries/${k}`] ?? 0;
  out["per_request.sum"] = m[`${svc}/retries/per_request.sum`] ?? 0;
  return out;
}

const stats = (o: Partial<Record<string, number>>) => {
  const out: Record<string, number> = {};
  for (const k of RETRY_STATS) out[k] = o[k] ?? 0;
  out["per_request.sum"] = o["per_request.sum"] ?? 0;
  return out;
};

async function router(upPort: number, service: string) {
  return await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/${upPort};
  service: ${service}
  servers: [{port: 0}]
`);
}

Deno.test("linkerd ClassifiedRetryFilterTest: retries, and response not retryable", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await router(up.port, "{responseClassifier: {kind: io.l5d.h2.grpc.default}}");
  const url = `http://127.0.0.1:${sy.ports.h2![0]}`;
  try {
    // The third attempt succeeds: every attempt got the whole request body.
    const [head, trailers] = headAndTrailers(await post(`${url}/try/3/a`, "hello"));
    assert(head.includes(":status: 200"), head.join("\n"));
    assert(trailers.includes("i: 3") && trailers.includes("grpc-status: 0"), trailers.join("\n"));
    assertEquals(
      up.peer.lines.filter((l) => l.try === "a").map((l) => [l.i, l.body]),
      [[1, "hello"], [2, "hello"], [3, "hello"]],
    );
    assertEquals(await retryStats(sy.admin), stats({ total: 2, "per_request.sum": 2 }));
    // tries = 1: the first response is not retryable.
    const [, once] = headAndTrailers(await post(`${url}/try/1/b`, "hello"));
    assert(once.includes("i: 1") && once.includes("grpc-status: 0"), once.join("\n"));
    assertEquals(await retryStats(sy.admin), stats({ total: 2, "per_request.sum": 2 }));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd ClassifiedRetryFilterTest: request stream too long to retry", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await router(
    up.port,
    "{responseClassifier: {kind: io.l5d.h2.grpc.default}, retryBufferSize: {requestBytes: 3}}",
  );
  try {
    const out = await post(`http://127.0.0.1:${sy.ports.h2![0]}/try/3/c`, "hello");
    const [head, trailers] = headAndTrailers(out);
    assert(head.includes(":status: 200"), out);
    // Retryable, but the request stream is past the buffer: returned as it is.
    assert(trailers.includes("i: 1") && trailers.includes("grpc-status: 14"), out);
    assertEquals(await retryStats(sy.admin), stats({ request_stream_too_long: 1 }));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd ClassifiedRetryFilterTest: response stream too long to retry", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await router(
    up.port,
    "{responseClassifier: {kind: io.l5d.h2.grpc.default}, retryBufferSize: {responseBytes: 4}}",
  );
  try {
    const out = await post(`http://127.0.0.1:${sy.ports.h2![0]}/try/3/d`, "hello");
    const [head, trailers] = headAndTrailers(out);
    assert(head.includes(":status: 200"), out);
    assert(out.includes("goodbye") || /good[\s\S]*bye/.test(out), out);
    assert(trailers.includes("i: 1") && trailers.includes("grpc-status: 14"), out);
    assertEquals(await retryStats(sy.admin), stats({ response_stream_too_long: 1 }));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

/** Seconds at which nghttp -v received the response HEADERS and the END_STREAM DATA frame. */
function headAndEndTimes(verbose: string): [number, number] {
  const at = (re: RegExp) => Number(re.exec(verbose)?.[1] ?? NaN);
  return [
    at(/\[\s*([\d.]+)\] recv HEADERS frame[^\n]*\n\s*; END_HEADERS/),
    at(/\[\s*([\d.]+)\] recv [A-Z]+ frame[^\n]*\n\s*; END_STREAM/),
  ];
}

// "early classification": a head the classifier decides on (a 5XX for the status classifiers)
// is returned at once, its stream not held; "classification timeout": a stream that does not end
// within classificationTimeoutMs is returned as it flows, counted.
Deno.test("linkerd ClassifiedRetryFilterTest: early classification, and classification timeout", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: early
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.nonRetryable5XX}, classificationTimeoutMs: 2000}
  servers: [{port: 0}]
- protocol: h2
  label: held
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.allSuccessful}}
  servers: [{port: 0}]
`);
  const get = (label: string) =>
    nghttp(["-v", "-H", ":authority: dog", `http://127.0.0.1:${sy.ports[label]![0]}/slow500`]);
  try {
    // The 500 head and its first frame arrive at once; the stream ends 500 ms later.
    const early = await get("early");
    assert(early.includes(":status: 500"), early);
    const [headAt, endAt] = headAndEndTimes(early);
    assert(headAt < 0.4 && endAt >= 0.45, `head at ${headAt}s, end at ${endAt}s\n${early}`);
    // Linkerd's h2 ClassifierFilter: classified early, the class goes in the response head.
    const [earlyHead, earlyTrailers] = headAndTrailers(early);
    assert(earlyHead.includes("l5d-success-class: 0.0"), early);
    assert(!earlyTrailers.some((f) => f.startsWith("l5d-success-class")), early);
    assertEquals(
      await retryStats(sy.admin, "rt/early/service/svc/dog"),
      stats({}),
    );
    // allSuccessful never decides on a head: the stream is held for 100 ms, then flows.
    const held = await get("held");
    assert(held.includes(":status: 500") && held.includes("part two"), held);
    assertEquals(
      await retryStats(sy.admin, "rt/held/service/svc/dog"),
      stats({ classification_timeout: 1 }),
    );
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// StreamClassificationEndToEndTest "retryable all failure" and "client stats use service response
// classifier": a POST whose first attempt is a 503 is retried under retryableAll5XX; the server
// and service count one success, the client (per service) one failure and one success.
Deno.test("linkerd StreamClassificationEndToEndTest: retryable all failure; client stats use the service classifier", async () => {
  const up = await startPortPeer("h2-trailers-server");
  const up2 = await startPortPeer("h2-trailers-server");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: all
  dtab: /svc/* => /$/inet/127.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.retryableAll5XX}}
  servers: [{port: 0}]
- protocol: h2
  label: ok
  dtab: /svc/* => /$/inet/127.1/${up2.port};
  service: {responseClassifier: {kind: io.l5d.h2.allSuccessful}}
  servers: [{port: 0}]
`);
  const send = (label: string, path: string) =>
    nghttp([
      "-v",
      "-H",
      ":method: POST",
      "-H",
      ":authority: foo",
      `http://127.0.0.1:${sy.ports[label]![0]}${path}`,
    ]);
  try {
    const out = await send("all", "/fail-once");
    assert(out.includes(":status: 200"), out);
    const m = await adminMetrics(sy.admin);
    const server = `rt/all/server/127.0.0.1/${sy.ports.all![0]}`;
    const client = `rt/all/client/$/inet/127.1/${up.port}/service/svc/foo`;
    assertEquals([m[`${server}/success`], m[`${server}/failures`] ?? 0], [1, 0]);
    assertEquals([m["rt/all/service/svc/foo/success"], m["rt/all/service/svc/foo/failures"] ?? 0], [
      1,
      0,
    ]);
    assertEquals([m[`${client}/success`], m[`${client}/failures`]], [1, 1]);
    // allSuccessful: the upstream's 503 is a success at every level, and not retried.
    const rsp = await send("ok", "/fail-once");
    assert(rsp.includes(":status: 503"), rsp);
    const n = await adminMetrics(sy.admin);
    const okClient = `rt/ok/client/$/inet/127.1/${up2.port}/service/svc/foo`;
    assertEquals([n[`${okClient}/success`], n[`${okClient}/failures`] ?? 0], [1, 0]);
    assertEquals([n["rt/ok/service/svc/foo/success"], n["rt/ok/service/svc/foo/failures"] ?? 0], [
      1,
      0,
    ]);
  } finally {
    await sy.stop();
    await up.peer.kill();
    await up2.peer.kill();
  }
});
