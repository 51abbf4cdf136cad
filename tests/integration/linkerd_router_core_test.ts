/**
 * Linkerd 1.x's last `router/core/src/test` cases, run against the real process:
 *
 * - `com/twitter/finagle/naming/buoyant/DstBindingFactoryTest.scala` (the same cases as the older
 *   `com/twitter/finagle/buoyant/DstBindingFactoryTest.scala`): "Cached: caches residuals
 *   independently" (one client per bound id, whatever the residual); "Ignores cached
 *   NoBrokersAvailableException info when propagating the exception" (each failure names its
 *   own path and the request's base and local dtabs). "Binding timeout is respected" is in
 *   `static_params_test.ts` (bindingTimeoutMs); "RefCounted" is a JVM-internal factory.
 * - `io/buoyant/router/PerDstPathFilterTest.scala`: per-name filters (the `service/<name>` stats) are
 *   made once per name and applied to each of its requests; a request with no name gets none.
 * - `io/buoyant/router/DiscardingFactoryToServiceTest.scala`: when no service can be had for a
 *   name, the request (its body) is discarded, so the error answer does not wait for the body.
 * - `io/buoyant/router/RouterTest.scala` "client labeling": a client's label is its bound id
 *   without the leading `/` (`rt/<router>/client/$/inet/<ip>/<port>`), checked here with
 *   residuals; a non-path id ("unknown") cannot come from a namer.
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

Deno.test("linkerd DstBindingFactoryTest: Cached: caches residuals independently", async () => {
  const usa = startUpstream("usa");
  const america = startUpstream("america");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 3}
  dtab: |
    /svc/usa => /$/inet/127.0.0.1/${usa.port};
    /svc/america => /$/inet/127.0.0.1/${america.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    for (const path of ["/usa/ca/sf", "/usa/ca/la", "/america/ca/la"]) {
      const r = await curl([`http://${sy.proxy()}${path}`]);
      assertEquals([r.status, JSON.parse(r.body).name], [200, path.split("/")[1]], path);
    }
    const m = await adminMetrics(sy.admin);
    const clients = Object.keys(m).filter((k) =>
      /^rt\/http\/client\/[^/]+\/[^/]+\/[^/]+\/[^/]+\/requests$/.test(k)
    );
    // One client per bound id: /usa/ca/sf and /usa/ca/la share `$/inet/127.0.0.1/<usa>`, its
    // residuals /ca/sf and /ca/la kept apart only as the two service names it served.
    assertEquals(
      clients.sort(),
      [
        `rt/http/client/$/inet/127.0.0.1/${america.port}/requests`,
        `rt/http/client/$/inet/127.0.0.1/${usa.port}/requests`,
      ].sort(),
    );
    assertEquals(m[`rt/http/client/$/inet/127.0.0.1/${usa.port}/requests`], 2);
    assertEquals(m[`rt/http/client/$/inet/127.0.0.1/${america.port}/requests`], 1);
    assertEquals(
      m[`rt/http/client/$/inet/127.0.0.1/${usa.port}/service/svc/usa/ca/sf/requests`],
      1,
    );
    assertEquals(
      m[`rt/http/client/$/inet/127.0.0.1/${usa.port}/service/svc/usa/ca/la/requests`],
      1,
    );
    assertEquals(m[`rt/http/client/$/inet/127.0.0.1/${usa.port}/connects`], 1);
  } finally {
    await sy.stop();
    await usa.close();
    await america.close();
  }
});

Deno.test("linkerd DstBindingFactoryTest: Ignores cached NoBrokersAvailableException info when propagating the exception", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 3}
  dtab: /svc/usa => /people;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const err = async (path: string, local: string) => {
    const r = await curl(["-H", `l5d-dtab: ${local}`, `http://${sy.proxy()}${path}`]);
    assertEquals(r.status, 502, path);
    return r.body;
  };
  try {
    const noHosts = (name: string, local: string) =>
      `No hosts are available for ${name}, Dtab.base=[/svc/usa=>/people], ` +
      `Dtab.local=[${local}]. Remote Info: Not Available`;
    // The binding of the first failure is cached; the second name's failure is still its own.
    assertEquals(
      await err("/usa/ca/la", "/svc/usa => /money"),
      noHosts("/svc/usa/ca/la", "/svc/usa=>/money"),
    );
    assertEquals(
      await err("/usa/ca/sf", "/svc/usa => /money"),
      noHosts("/svc/usa/ca/sf", "/svc/usa=>/money"),
    );
    assertEquals(
      await err("/usa/ca/la", "/svc/usa => /euros"),
      noHosts("/svc/usa/ca/la", "/svc/usa=>/euros"),
    );
    assertEquals(
      await err("/usa/ca/la", "/svc/usa => /money"),
      noHosts("/svc/usa/ca/la", "/svc/usa=>/money"),
    );
  } finally {
    await sy.stop();
  }
});

Deno.test("linkerd PerDstPathFilterTest: applies cached per-Dst.Path-filter; adds no stats when Dst.Path is empty", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  identifier: {kind: io.l5d.header.token, header: x-name}
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    for (const name of ["cat", "dog", "dog"]) {
      const r = await curl(["-H", `x-name: ${name}`, `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200, name);
    }
    // No name: the identifier refuses the request (400), and no per-name stats are made for it.
    const none = await curl([`http://${sy.proxy()}/`]);
    assertEquals(none.status, 400);
    const m = await adminMetrics(sy.admin);
    const names = Object.keys(m).filter((k) =>
      k.startsWith("rt/http/service/") && k.endsWith("/requests")
    );
    assertEquals(names.sort(), [
      "rt/http/service/svc/cat/requests",
      "rt/http/service/svc/dog/requests",
    ]);
    assertEquals([m["rt/http/service/svc/cat/requests"], m["rt/http/service/svc/dog/requests"]], [
      1,
      2,
    ]);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("linkerd DiscardingFactoryToServiceTest: discards request on service factory failure", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /nowhere;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: sy.ports["http"]![0]! });
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    // A streamed body whose end never comes: the "No hosts" answer must not wait for it.
    await conn.write(new TextEncoder().encode(
      "POST / HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ));
    const buf = new Uint8Array(4096);
    let got = "";
    while (!got.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    assertEquals(got.split("\r\n")[0], "HTTP/1.1 502 Bad Gateway");
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
    await sy.stop();
  }
});
