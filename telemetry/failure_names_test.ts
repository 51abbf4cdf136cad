import { assertEquals } from "../tests/support/assert.ts";
import { failurePaths, SYNTHETIC_FAILURE } from "./failure_names.ts";
import {
  BindFailed,
  ConnectFailed,
  DeadlineExceeded,
  NoHostsAvailable,
  RequestTimeout,
  StreamReset,
} from "../router/core/errors.ts";

Deno.test("failurePaths() names router errors by the exception Linkerd raises at that level", () => {
  const nb = "com.twitter.finagle.naming.buoyant.";
  assertEquals(failurePaths(new NoHostsAvailable("x"), "service"), [
    nb + "RichNoBrokersAvailableException",
  ]);
  assertEquals(failurePaths(new BindFailed("x"), "client"), [
    "com.twitter.finagle.NoBrokersAvailableException",
  ]);
  const refused = new ConnectFailed("x", { cause: new Deno.errors.ConnectionRefused("no") });
  assertEquals(failurePaths(refused, "service"), [nb + "RichConnectionFailedExceptionWithPath"]);
  assertEquals(failurePaths(refused, "client"), [nb + "RichConnectionFailedException"]);
  assertEquals(failurePaths(new DeadlineExceeded("exceeded 5 ms"), "service"), [
    "com.twitter.finagle.GlobalRequestTimeoutException",
  ]);
  assertEquals(failurePaths(new DeadlineExceeded("binding timed out after 5 ms"), "service"), [
    "com.twitter.finagle.RequestTimeoutException",
  ]);
  assertEquals(failurePaths(new RequestTimeout("x"), "client"), [
    "com.twitter.finagle.IndividualRequestTimeoutException",
  ]);
  const h2 = "com.twitter.finagle.buoyant.h2.";
  assertEquals(failurePaths(new StreamReset("x", 8), "client"), [
    h2 + "StreamError$Remote",
    h2 + "StreamError$Remote/" + h2 + "Reset$Cancel$",
  ]);
  assertEquals(SYNTHETIC_FAILURE.endsWith(".ResponseClassificationSyntheticException"), true);
});

Deno.test("failurePaths() rolls other errors up along their cause chain (PerDstPathStatsFilterTest)", () => {
  class NotDog extends Error {
    override name = "NotDog";
  }
  class DangCat extends Error {
    override name = "DangCat";
  }
  assertEquals(failurePaths(new DangCat("meow", { cause: new NotDog() }), "service"), [
    "DangCat",
    "DangCat/NotDog",
  ]);
  assertEquals(failurePaths("thrown string", "client"), ["unknown"]);
});
