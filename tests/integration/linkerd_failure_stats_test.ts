/**
 * `failures/<exception>` stats under Linkerd's names. Linkerd's Finagle StatsFilter counts a
 * failure under the class of the exception it saw, one level more per cause (L1
 * `router/core/src/test/scala/io/buoyant/router/PerDstPathStatsFilterTest.scala`: `failures/
 * io.buoyant.router.DangCat` and `failures/io.buoyant.router.DangCat/io.buoyant.router.NotDog`),
 * and a response its classifier calls a failure under
 * `com.twitter.finagle.service.ResponseClassificationSyntheticException` (Finagle
 * `doc/src/sphinx/metrics/Public.rst`, StatsFilter). The path stack sees Linkerd's rich routing
 * exceptions (L1 `router/core/.../naming/buoyant/DstBindingFactory.scala`,
 * `RichConnectionFailedModule.scala`, `io/buoyant/router/Router.scala` `newPathStack`).
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, freePort } from "../support/upstream.ts";

const SYNTH = "com.twitter.finagle.service.ResponseClassificationSyntheticException";
const NB = "com.twitter.finagle.naming.buoyant.";

Deno.test("linkerd PerDstPathStatsFilterTest: failures/<exception> names at server, service and client", async () => {
  const up = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("boom", { status: 500 }),
  );
  const upPort = (up.addr as Deno.NetAddr).port;
  const dead = freePort();
  const sy = await startSwitchyard(`
admin: {port: 0}
telemetry:
- kind: io.l5d.prometheus
routers:
- protocol: http
  label: out
  dtab: |
    /svc/five => /$/inet/127.0.0.1/${upPort};
    /svc/dead => /$/inet/127.0.0.1/${dead};
    /svc/fail => !;
  servers: [{port: 0}]
`);
  try {
    for (const [host, status] of [["five", 500], ["dead", 502], ["fail", 502], ["nohost", 502]]) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
      assertEquals(r.status, status, host as string);
    }
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    const port = sy.ports["out"]![0];
    const server = `rt/out/server/127.0.0.1/${port}`;
    const five = `rt/out/client/$/inet/127.0.0.1/${upPort}`;
    const deadClient = `rt/out/client/$/inet/127.0.0.1/${dead}`;
    assertEquals(m[`${server}/failures`], 4);
    // the server sees the router's answers: four responses classified as failures
    assertEquals(m[`${server}/failures/${SYNTH}`], 4);
    assertEquals(m[`rt/out/service/svc/five/failures/${SYNTH}`], 1);
    assertEquals(m[`${five}/failures/${SYNTH}`], 1);
    // a name that binds to nothing, or to `!`: NoBrokersAvailable, made rich by DstBindingFactory
    assertEquals(m[`rt/out/service/svc/fail/failures/${NB}RichNoBrokersAvailableException`], 1);
    assertEquals(m[`rt/out/service/svc/nohost/failures/${NB}RichNoBrokersAvailableException`], 1);
    // a refused connection: RichConnectionFailedException, WithPath in the path stack
    assertEquals(
      m[`rt/out/service/svc/dead/failures/${NB}RichConnectionFailedExceptionWithPath`],
      1,
    );
    assertEquals(m[`${deadClient}/failures/${NB}RichConnectionFailedException`], 1);
    // no Switchyard-only names
    const own = Object.keys(m).filter((k) =>
      /\/failures\/(ConnectFailed|NoHostsAvailable)/.test(k)
    );
    assertEquals(own, []);
    // PrometheusTelemeter: `failures/<exn>` becomes an `exception` label
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).body;
    const line = prom.split("\n").find((l) =>
      l.startsWith("rt:service:failures{") && l.includes('service="svc/five"') &&
      l.includes(`exception="${SYNTH}"`)
    );
    assertEquals(
      line?.endsWith(" 1"),
      true,
      prom.split("\n").filter((l) => /failures/.test(l)).join("\n"),
    );
  } finally {
    await sy.stop();
    await up.shutdown();
  }
});
