/**
 * Both Prometheus renderings through `promtool check metrics` (Debian package `prometheus`).
 * Skipped, with the reason printed, where promtool is not installed; CI installs it.
 */
import { assert, assertEquals } from "./_assert.ts";
import { renderLinkerdPrometheus } from "./prometheus.ts";
import { renderNativePrometheus } from "./prometheus_native.ts";
import type { MetricsRegistry } from "./registry.ts";
import { fixture } from "./_fixture.ts";

async function promtoolVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).split("\n")[0] : undefined;
  } catch (e: unknown) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

const version = await promtoolVersion();
const ignore = version === undefined;
if (ignore) {
  // deno-lint-ignore no-console
  console.warn("promtool_test.ts: skipped, `promtool` not found (apt-get install prometheus)");
}

/** Runs `promtool check metrics` on `text`; returns its exit code and the lint lines. */
async function check(text: string): Promise<{ code: number; problems: string[] }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const lines = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, problems: lines.split("\n").filter((l) => l.trim() !== "") };
}

/** A registry with traffic on every scope, process stats, and a few odd names. */
function busyRegistry(): MetricsRegistry {
  const f = fixture();
  f.registry.gauge(["process"], "uptime", () => 1234);
  f.registry.gauge(["jvm"], "uptime", () => 1234);
  f.registry.counter(["rt", "outgoing", "service", 'svc/"quoted"\\x'], "retries/total").incr();
  return f.registry;
}

Deno.test({
  name: `promtool check metrics passes the native /metrics output (${version ?? "absent"})`,
  ignore,
  async fn(): Promise<void> {
    const result = await check(renderNativePrometheus(busyRegistry()));
    assertEquals(result, { code: 0, problems: [] });
  },
});

Deno.test({
  name: "promtool check metrics parses Linkerd's format; lint findings are only its fixed names",
  ignore,
  async fn(): Promise<void> {
    const text = renderLinkerdPrometheus(busyRegistry());
    const { code, problems } = await check(text);
    // 0 = clean, 3 = lint findings only; 1 would be a parse error ("error while linting").
    assert(code === 0 || code === 3, `exit ${code}: ${problems.join("\n")}`);
    const allowed = [
      "metric names should not contain ':'", // rt:client:… is the linkerd-viz contract
      "metric names should not contain abbreviated units", // …request_latency_ms likewise
    ];
    const other = problems.filter((p) => !allowed.some((a) => p.endsWith(a)));
    assertEquals(other, []);
    assert(problems.some((p) => p.startsWith("rt:client:requests ")), "promtool read the families");
  },
});
