import { assertEquals } from "../tests/support/assert.ts";
import { FAILURE, RETRYABLE_FAILURE, SUCCESS } from "./classifier.ts";
import { grpcClassifier, grpcStatus } from "./grpc_classifiers.ts";

const req = () => new Request("http://a/pkg.Svc/M", { method: "POST" });
const head = (status: string, http = 200) =>
  new Response(null, { status: http, headers: { "grpc-status": status } });

Deno.test("io.l5d.h2.grpc.* classify a trailers-only status as Linkerd's GrpcClassifiers", () => {
  const dflt = grpcClassifier({ kind: "io.l5d.h2.grpc.default" });
  assertEquals(dflt.response(req(), head("0")), SUCCESS);
  assertEquals(dflt.response(req(), head("14")), RETRYABLE_FAILURE);
  assertEquals(dflt.response(req(), head("4")), FAILURE);
  const always = grpcClassifier({ kind: "io.l5d.h2.grpc.alwaysRetryable" });
  assertEquals(always.response(req(), head("3")), RETRYABLE_FAILURE);
  const never = grpcClassifier({ kind: "io.l5d.h2.grpc.neverRetryable" });
  assertEquals(never.response(req(), head("14")), FAILURE);
  const codes = grpcClassifier({
    kind: "io.l5d.h2.grpc.retryableStatusCodes",
    retryableStatusCodes: [2, 5],
    successStatusCodes: [0, 3],
  });
  assertEquals(codes.response(req(), head("5")), RETRYABLE_FAILURE);
  assertEquals(codes.response(req(), head("3")), SUCCESS);
  assertEquals(codes.response(req(), head("14")), FAILURE);
  const compliant = grpcClassifier({ kind: "io.l5d.h2.grpc.compliant" });
  assertEquals(compliant.response(req(), new Response(null, { status: 503 })), RETRYABLE_FAILURE);
  assertEquals(compliant.response(req(), new Response(null, { status: 500 })), FAILURE);
});

Deno.test("a head grpc-status that is not a number is UNKNOWN (2), as GrpcStatus.tryFromHeaders", () => {
  assertEquals(grpcStatus(head("oops")), 2);
  assertEquals(grpcStatus(head("")), 2);
  assertEquals(grpcStatus(new Response(null)), undefined);
  const codes = grpcClassifier({
    kind: "io.l5d.h2.grpc.retryableStatusCodes",
    retryableStatusCodes: [2],
  });
  assertEquals(codes.response(req(), head("oops")), RETRYABLE_FAILURE);
  const always = grpcClassifier({ kind: "io.l5d.h2.grpc.alwaysRetryable" });
  assertEquals(always.response(req(), head("oops")), RETRYABLE_FAILURE);
});
