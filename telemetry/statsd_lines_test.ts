import { assert, assertEquals } from "../tests/support/assert.ts";
import {
  Batcher,
  counterLine,
  gaugeLines,
  MAX_DATAGRAM_BYTES,
  statsdName,
  timerLine,
} from "./statsd_lines.ts";

Deno.test("statsdName() turns a flat metric key into a dotted StatsD name", () => {
  assertEquals(
    statsdName("linkerd", "rt/outgoing/service/svc/hello/requests"),
    "linkerd.rt.outgoing.service.svc.hello.requests",
  );
  assertEquals(
    statsdName("linkerd", "rt/outgoing/client/#/io.l5d.fs/world/status/2XX"),
    "linkerd.rt.outgoing.client._.io_l5d_fs.world.status.2XX",
  );
  assertEquals(
    statsdName("linkerd", "rt/in/server/127.0.0.1/4141/requests"),
    "linkerd.rt.in.server.127_0_0_1.4141.requests",
  );
  assertEquals(statsdName("", "jvm/uptime"), "jvm.uptime");
  // Linkerd's StatsDStatsReceiverTest "metric names are correctly rewritten".
  assertEquals(
    statsdName("", "foo/$//bar/baz.stuff#word?who//what^when*where\\why/#/^//\\huh?@$%^&"),
    "foo._.bar.baz_stuff_word_who.what_when_where_why._._._huh______",
  );
  assertEquals(
    statsdName("", "clnt/zipkin-tracer/service_creation/service_acquisition_latency_ms"),
    "clnt.zipkin_tracer.service_creation.service_acquisition_latency_ms",
  );
  assertEquals(
    statsdName(
      "",
      "rt/http/client/#/io.l5d.fs/default/path/http/1.1/GET/default/request_latency_ms",
    ),
    "rt.http.client._.io_l5d_fs.default.path.http.1_1.GET.default.request_latency_ms",
  );
  assertEquals(statsdName("my app.", "a//b"), "my_app.a.b");
});

Deno.test("counterLine() and timerLine() tag sampled records with the rate", () => {
  assertEquals(counterLine("l.a", 1, 0.01), "l.a:1|c|@0.01");
  assertEquals(counterLine("l.a", 3, 1), "l.a:3|c");
  assertEquals(timerLine("l.t", 12.34567, 0.5), "l.t:12|ms|@0.5");
  assertEquals(timerLine("foo", 123.4, 1), "foo:123|ms"); // Linkerd's MetricTest
  assertEquals(timerLine("l.t", 4, 1), "l.t:4|ms");
  assertEquals(timerLine("l.t", NaN, 1), "l.t:0|ms");
});

Deno.test("gaugeLines() resets to 0 before a negative value and skips non-finite ones", () => {
  assertEquals(gaugeLines("l.g", 5), ["l.g:5|g"]);
  assertEquals(gaugeLines("l.g", -2), ["l.g:0|g", "l.g:-2|g"]);
  assertEquals(gaugeLines("l.g", Infinity), []);
});

Deno.test("Batcher packs lines into datagrams of at most 1432 bytes", () => {
  const sent: string[] = [];
  const b = new Batcher({ send: (p) => sent.push(p) });
  const line = "linkerd.rt.outgoing.service.svc.hello.requests:1|c|@0.01";
  const perDatagram = Math.floor((MAX_DATAGRAM_BYTES + 1) / (line.length + 1));
  for (let i = 0; i < 100; i++) b.push(line);
  b.flush();
  assert(sent.length > 1);
  for (const d of sent) assert(d.length <= MAX_DATAGRAM_BYTES, `${d.length} bytes`);
  assertEquals(sent.join("\n").split("\n").length, 100);
  assertEquals(sent[0]!.split("\n").length, perDatagram);
  b.flush();
  assertEquals(sent.length, Math.ceil(100 / perDatagram));
});

Deno.test("Batcher drops lines past its datagram budget until the next tick", () => {
  const sent: string[] = [];
  const b = new Batcher({ send: (p) => sent.push(p), maxBytes: 10, maxDatagramsPerTick: 2 });
  for (const l of ["aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff"]) b.push(l);
  b.flush();
  assertEquals(sent, ["aaaa\nbbbb", "cccc\ndddd"]);
  assertEquals(b.dropped, 2);
  b.tick();
  b.push("gggg");
  b.push("x".repeat(11));
  b.tick();
  assertEquals(sent, ["aaaa\nbbbb", "cccc\ndddd", "gggg"]);
  assertEquals(b.dropped, 3);
});
