import { assert, assertEquals } from "../../tests/support/assert.ts";
import { configHash } from "./config_hash.ts";

Deno.test("configHash() is the sha-256 hex of the text", async () => {
  assertEquals(
    await configHash(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    await configHash("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("configHash() changes with any edit and is stable otherwise", async () => {
  const a = await configHash("routers:\n- protocol: http\n");
  assertEquals(a, await configHash("routers:\n- protocol: http\n"));
  assert(a !== await configHash("routers:\n- protocol: http \n"));
});
