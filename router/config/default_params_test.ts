import { assertEquals } from "../../tests/support/assert.ts";
import { defaultClientParams, defaultServiceParams } from "./default_params.ts";
import { clientParamsSchema } from "./client_schema.ts";
import { serviceParamsSchema } from "./service_schema.ts";

Deno.test("defaultServiceParams() equals the schema's defaults", () => {
  assertEquals(defaultServiceParams(), serviceParamsSchema.parse({}));
});

Deno.test("defaultClientParams() equals the schema's defaults", () => {
  assertEquals(defaultClientParams(), clientParamsSchema.parse({}));
});

Deno.test("defaultClientParams() returns a fresh object each time", () => {
  const a = defaultClientParams();
  (a.requeueBudget as { ttlSecs: number }).ttlSecs = 99;
  assertEquals(defaultClientParams().requeueBudget.ttlSecs, 10);
});
