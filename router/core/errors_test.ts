import { assert, assertEquals } from "../../tests/support/assert.ts";
import { isLocalResourceLimit, LocalResourceExhausted, Overloaded } from "./errors.ts";

Deno.test("isLocalResourceLimit() knows a real EMFILE from Deno.connect, and not a refused connect", async () => {
  // A real descriptor limit is exercised end to end in tests/integration/fd_limit_test.ts; here,
  // the shapes Deno gives: `code` set, or only the OS error number in the message.
  const emfile = Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" });
  assert(isLocalResourceLimit(emfile));
  assert(isLocalResourceLimit(new Error("Cannot assign requested address (os error 99)")));
  assert(!isLocalResourceLimit("EMFILE"));
  let refused: unknown;
  try {
    // a port nothing listens on: bind one, close it, connect to it
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  } catch (e: unknown) {
    refused = e;
  }
  assert(refused instanceof Error, "the connect was refused");
  assertEquals(isLocalResourceLimit(refused), false);
});

Deno.test("LocalResourceExhausted is an Overloaded 503, retryable", () => {
  const e = new LocalResourceExhausted("connect to x failed");
  assert(e instanceof Overloaded);
  assertEquals([e.status, e.retryable, e.name], [503, true, "LocalResourceExhausted"]);
});
