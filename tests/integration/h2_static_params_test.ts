/**
 * `io.l5d.static` client and service entries on `protocol: h2` routers (L1 `routers.md` "Static
 * Client Config" / "Static Service Config", `protocol-h2.md`): the h2 client keys (the SETTINGS)
 * and service keys (`classificationTimeoutMs`, `retryBufferSize`) apply per prefix, a later
 * matching entry overriding an earlier one key by key, as Linkerd's `H2PrefixConfig` /
 * `H2SvcPrefixConfig` mix `H2ClientConfig` / `H2SvcConfig` into each entry (`H2Config.scala`).
 * Real nghttp clients and `node:http2` upstreams (`tests/support/h2_peer.ts`) on loopback.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir } from "../support/upstream.ts";
import { nghttp, startPortPeer } from "../support/h2_peers.ts";

// The upstream sees the SETTINGS of the client each name was bound to: `/$/inet/…` and two
// io.l5d.fs clients to the same endpoint, each with its own entries' values.
Deno.test("h2: io.l5d.static client entries set the SETTINGS per client prefix", async () => {
  const up = await startPortPeer("h2-settings-server");
  const disco = await fsNamerDir({ cat: `127.0.0.1 ${up.port}`, bird: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/dog => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: /$/inet/*/*
      initialStreamWindowBytes: 524288
      maxFrameBytes: 65536
    - prefix: /#/io.l5d.fs/{service}
      maxHeaderListBytes: 7000
      headerTableBytes: 1024
    - prefix: /#/io.l5d.fs/cat
      initialStreamWindowBytes: 300000
      maxHeaderListByts: 5000
`);
  const port = sy.ports.h2![0];
  try {
    const seen: Record<string, number[]> = {};
    for (const name of ["dog", "cat", "bird"]) {
      const out = await nghttp(["-H", `:authority: ${name}`, `http://127.0.0.1:${port}/`]);
      assert(out.includes("ok"), `${name}: ${out}`);
      const got = (await up.peer.next()).settings as Record<string, number>;
      seen[name] = [
        got.initialWindowSize,
        got.maxFrameSize,
        got.maxHeaderListSize,
        got.headerTableSize,
      ] as number[];
    }
    const huge = 2 ** 32 - 1; // no SETTINGS_MAX_HEADER_LIST_SIZE sent: unlimited
    assertEquals(seen, {
      dog: [524288, 65536, huge, 4096],
      // the later /cat entry wins for its keys and keeps the earlier entry's headerTableBytes
      cat: [300000, 16384, 5000, 1024],
      bird: [65535, 16384, 7000, 1024],
    });
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// `/slow` answers a head and "part one", then "part two" and `grpc-status: 14` (UNAVAILABLE,
// retryable for io.l5d.h2.grpc.default) 300 ms later. Within the classification wait the whole
// stream is classified and retried; past the wait (the default 100 ms) or past the response
// buffer, it goes on as it flows and is classified on its end, too late to retry.
Deno.test("h2: io.l5d.static service entries set classificationTimeoutMs and responseBytes per service", async () => {
  const up = await startPortPeer("h2-server");
  const disco = await fsNamerDir({
    flow: `127.0.0.1 ${up.port}`,
    wait: `127.0.0.1 ${up.port}`,
    small: `127.0.0.1 ${up.port}`,
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      responseClassifier: {kind: io.l5d.h2.grpc.default}
      retries:
        budget: {ttlSecs: 1, minRetriesPerSec: 1, percentCanRetry: 0.0}
    - prefix: /svc/wait
      classificationTimeoutMs: 2000
    - prefix: /svc/small
      classificationTimeoutMs: 2000
      retryBufferSize: {responseBytes: 4}
`);
  const port = sy.ports.h2![0];
  try {
    for (const name of ["flow", "wait", "small"]) {
      const out = await nghttp([
        "-v",
        "-H",
        `:authority: ${name}`,
        `http://127.0.0.1:${port}/slow`,
      ]);
      assert(out.includes("part two"), `${name}: ${out}`);
      assert(out.includes("grpc-status: 14"), `${name}: ${out}`);
    }
    const m = await adminMetrics(sy.admin);
    const retries = (s: string) => m[`rt/h2/service/svc/${s}/retries/total`] ?? 0;
    assertEquals(
      { flow: retries("flow"), wait: retries("wait"), small: retries("small") },
      { flow: 0, wait: 1, small: 0 },
    );
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});
