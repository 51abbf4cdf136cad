/**
 * Linkerd 1.x's `router/core/src/test/scala/io/buoyant/router/RoutingFactoryTest.scala`, ported
 * against the real process with a Zipkin v2 collector on loopback: the server span of every request
 * carries `router.label` ("annotates router label"), and one that failed in routing carries the
 * binary annotation `io.buoyant.router.Failure` (`RoutingFactory.Annotations.Failure`):
 * `Identification` ("produces service that fails request and records on identification failure"),
 * `ClientAcquisition` ("... on client acquisition failure": recorded by the path stack's
 * `AcquisitionFailure` module, `Router.scala`, for an unbound name or an endpoint that refuses the
 * connection) and `Service` (a failed exchange with the upstream).
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

interface ZipkinSpan {
  kind?: string;
  tags?: Record<string, string>;
}

function zipkinCollector() {
  const spans: ZipkinSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    spans.push(...await req.json());
    return new Response(null, { status: 202 });
  });
  return { port: server.addr.port, spans, close: () => server.shutdown() };
}

Deno.test("linkerd RoutingFactoryTest: server spans carry router.label and io.buoyant.router.Failure", async () => {
  const zipkin = zipkinCollector();
  const ok = startUpstream("ok");
  // Answers every request with a head that is not HTTP: the exchange fails after the connection.
  const garbage = rawUpstream(async (_head, conn) => {
    await conn.write(new TextEncoder().encode("NOT HTTP AT ALL\r\n\r\n"));
    return false;
  });
  const refused = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- {kind: io.l5d.zipkin, host: 127.0.0.1, port: ${zipkin.port}, sampleRate: 1.0}
routers:
- protocol: http
  label: customlabel
  identifier: {kind: io.l5d.header.token, header: x-dst}
  dtab: |
    /svc/ok => /$/inet/127.0.0.1/${ok.port};
    /svc/refused => /$/inet/127.0.0.1/${refused};
    /svc/garbage => /$/inet/127.0.0.1/${garbage.port};
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    failureAccrual: {kind: none}
`);
  /** The server span of one request to `x-dst: dst` (none: no header), with its status. */
  const serverSpan = async (dst: string | undefined) => {
    zipkin.spans.length = 0;
    const r = await curl([...(dst ? ["-H", `x-dst: ${dst}`] : []), `http://${sy.proxy()}/`]);
    assert(
      await eventually(() => zipkin.spans.some((s) => s.kind === "SERVER"), 5000),
      `no server span for ${dst}`,
    );
    const tags = zipkin.spans.find((s) => s.kind === "SERVER")!.tags ?? {};
    return {
      status: r.status,
      label: tags["router.label"],
      failure: tags["io.buoyant.router.Failure"],
    };
  };
  try {
    assertEquals(await serverSpan("ok"), { status: 200, label: "customlabel", failure: undefined });
    assertEquals(await serverSpan(undefined), {
      status: 400,
      label: "customlabel",
      failure: "Identification",
    });
    // A name the dtab does not bind: NoBrokersAvailable while acquiring the client.
    assertEquals(await serverSpan("nowhere"), {
      status: 502,
      label: "customlabel",
      failure: "ClientAcquisition",
    });
    // Finagle connects while acquiring the endpoint's service: a refused connection too.
    assertEquals(await serverSpan("refused"), {
      status: 502,
      label: "customlabel",
      failure: "ClientAcquisition",
    });
    assertEquals(await serverSpan("garbage"), {
      status: 502,
      label: "customlabel",
      failure: "Service",
    });
  } finally {
    await sy.stop();
    await ok.close();
    await garbage.close();
    await zipkin.close();
  }
});
