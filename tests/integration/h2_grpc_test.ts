/**
 * gRPC through an h2 router against the real process, beyond `h2_test.ts`: upstream connection
 * life cycle (GOAWAY) and stream limits. The gRPC peers (`@grpc/grpc-js`) run as child processes
 * (`tests/support/h2_peer.ts`), as in `h2_test.ts`.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { eventually, fsNamerDir } from "../support/upstream.ts";
import { grpcCalls, startPeer, startPortPeer } from "../support/h2_peers.ts";

Deno.test("h2 gRPC: calls waiting for a stream move to a new connection on GOAWAY", async () => {
  // A gRPC server that allows 5 streams per connection and closes each connection with GOAWAY
  // after 300 ms (gRPC's max connection age, as servers behind load balancers set it), and a
  // client that keeps 20 calls in flight: 15 wait in the router for a stream of the connection
  // when its GOAWAY arrives. They were never sent (RFC 9113 §6.8), so they go to a new
  // connection; a 502 here would also count against a healthy endpoint in failure accrual.
  const up = await startPortPeer("grpc-server", "5", "300");
  const disco = await fsNamerDir({ "hello.Greeter": `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  label: grpc
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  service:
    responseClassifier: {kind: io.l5d.h2.grpc.default}
  servers: [{port: 0}]
`);
  try {
    const load = startPeer("grpc-load", `127.0.0.1:${sy.ports.grpc![0]}`, "300", "20", "sleep:20");
    const result = await load.next(60_000);
    await load.exited;
    assertEquals(result.codes, { ok: 300 });
    const m = await adminMetrics(sy.admin);
    const client = "rt/grpc/client/#/io.l5d.fs/hello.Greeter";
    // The upstream did close connections while calls waited (else this proves nothing).
    assert(m[`${client}/connects`]! >= 2, `connects: ${m[`${client}/connects`]}`);
    assertEquals(m["rt/grpc/service/svc/hello.Greeter/failures"] ?? 0, 0);
    assertEquals(m[`${client}/endpoint/127.0.0.1:${up.port}/failure_accrual/dead`] ?? 0, 0);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("h2 gRPC: a call cancelled while waiting for an upstream stream is dropped", async () => {
  // The upstream allows 2 streams; 2 long calls hold them. Calls with a 300 ms deadline wait in
  // the router for a stream; when the client gives up (RST_STREAM CANCEL), the router drops them
  // then and there instead of holding them (and sending them later) until a stream frees.
  const up = await startPortPeer("grpc-server", "2");
  const disco = await fsNamerDir({ "hello.Greeter": `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  label: grpc
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  const address = `127.0.0.1:${sy.ports.grpc![0]}`;
  const long = startPeer("grpc-load", address, "2", "2", "sleep:20000");
  try {
    assert(await eventually(() => up.peer.lines.filter((l) => l.call).length === 2, 10_000));
    const short = startPeer("grpc-load", address, "20", "20", "quick", "300");
    assertEquals((await short.next(30_000)).codes, { 4: 20 }); // DEADLINE_EXCEEDED
    await short.exited;
    const pending = "rt/grpc/client/#/io.l5d.fs/hello.Greeter/pending";
    // Only the 2 long calls are left; the 20 cancelled ones are gone, never sent upstream.
    await eventually(async () => (await adminMetrics(sy.admin))[pending] === 2, 5_000);
    assertEquals((await adminMetrics(sy.admin))[pending], 2);
    assertEquals(up.peer.lines.filter((l) => l.call).length, 2);
  } finally {
    await long.kill();
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("h2 gRPC: a client cancel before the response head reaches the upstream", async () => {
  // The client resets the stream (RST_STREAM CANCEL) while the router waits for the upstream's
  // response head: the router resets its upstream stream with the client's code, as Linkerd's
  // h2 server dispatcher passes a Reset on, and the call leaves the router's pending requests.
  const up = await startPortPeer("grpc-server");
  const disco = await fsNamerDir({ "hello.Greeter": `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  label: grpc
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    const address = `127.0.0.1:${sy.ports.grpc![0]}`;
    const cancel = startPeer("grpc-cancel", address, "sleep:20000", "500");
    assertEquals((await cancel.next(30_000)).code, 1); // CANCELLED
    await cancel.exited;
    const cancelled = () => up.peer.lines.some((l) => l.cancelled === "sleep:20000");
    assert(await eventually(cancelled, 10_000), "the upstream call was not cancelled");
    const pending = "rt/grpc/service/svc/hello.Greeter/pending";
    await eventually(async () => (await adminMetrics(sy.admin))[pending] === 0, 5_000);
    assertEquals((await adminMetrics(sy.admin))[pending], 0);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// Linkerd's GrpcClassifiers (linkerd/protocol/h2/.../grpc/GrpcClassifier.scala): AlwaysRetryable
// retries every failed status, NeverRetryable none, RetryableStatusCodes the listed ones; the
// status comes from the trailers. Retries are counted as attempts the upstream received.
Deno.test("h2 gRPC: alwaysRetryable, neverRetryable and retryableStatusCodes retry what they say", async () => {
  const up = await startPortPeer("grpc-server");
  const router = (label: string, classifier: string) => `
- protocol: h2
  label: ${label}
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc/hello.Greeter => /$/inet/127.0.0.1/${up.port};
  service:
    responseClassifier: ${classifier}
    retries: {budget: {minRetriesPerSec: 1, percentCanRetry: 0.0}}
  servers: [{port: 0}]`;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:${router("always", "{kind: io.l5d.h2.grpc.alwaysRetryable}")}${
    router("never", "{kind: io.l5d.h2.grpc.neverRetryable}")
  }${router("codes", "{kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: [3]}")}
`);
  try {
    const attempts: Record<string, number[]> = {};
    for (const label of ["always", "never", "codes"]) {
      // UNAVAILABLE (14), then INVALID_ARGUMENT (3): one call each, the client sees the status.
      const results = await grpcCalls(`127.0.0.1:${sy.ports[label]![0]}`, ["fail", "bad"]);
      assertEquals(results, [{ code: 14 }, { code: 3 }], label);
      const m = await adminMetrics(sy.admin);
      const svc = `rt/${label}/service/svc/hello.Greeter`;
      assertEquals([m[`${svc}/requests`], m[`${svc}/failures`]], [2, 2], label);
      attempts[label] = [m[`rt/${label}/client/$/inet/127.0.0.1/${up.port}/requests`]!];
      attempts[label]!.push(m[`${svc}/retries/total`] ?? 0);
    }
    // The budget's reserve (1/s × 10 s) allows 10 retries in all per router.
    assertEquals(attempts.always, [12, 10], "alwaysRetryable retries both statuses");
    assertEquals(attempts.never, [2, 0], "neverRetryable retries none");
    const [codes, codesRetries] = attempts.codes!;
    assertEquals(codesRetries, 10, "retryableStatusCodes [3] retries INVALID_ARGUMENT");
    assertEquals(codes, 12);
    // ...and not UNAVAILABLE: every call of "fail" the upstream saw came from "always".
    const seen = (m: string) => up.peer.lines.filter((l) => l.call === m).length;
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(seen("fail") + seen("bad"), 12 + 2 + 12);
    assertEquals(seen("bad"), 1 + 1 + 11);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});
