/**
 * gRPC through an h2 router against the real process, beyond `h2_test.ts`: upstream connection
 * life cycle (GOAWAY) and stream limits. The gRPC peers (`@grpc/grpc-js`) run as child processes
 * (`tests/support/h2_peer.ts`), as in `h2_test.ts`.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir } from "../support/upstream.ts";
import { metrics, startPeer, startPortPeer } from "../support/h2_peers.ts";

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
    const m = await metrics(sy.admin);
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
