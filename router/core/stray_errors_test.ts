import { assert } from "../../tests/support/assert.ts";
import { keepServingOnStrayErrors } from "./stray_errors.ts";
import { createLogger } from "../../telemetry/log.ts";

Deno.test("keepServingOnStrayErrors() logs a throw in a callback and an unhandled rejection", async () => {
  const lines: string[] = [];
  const off = keepServingOnStrayErrors(
    createLogger({ format: "json", write: (l) => lines.push(l) }),
  );
  try {
    setTimeout(() => {
      throw new Error("handler bug");
    }, 0);
    void Promise.reject(new Error("nobody awaited"));
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    off();
  }
  assert(
    lines.some((l) => l.includes("uncaught error") && l.includes("handler bug")),
    lines.join("\n"),
  );
  assert(
    lines.some((l) => l.includes("unhandled rejection") && l.includes("nobody awaited")),
    lines.join("\n"),
  );
});
