// Cases from Linkerd's marathon/src/test/.../v2/ApiTest.scala (toAddresses, health checks).
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { appAddresses, appIdKey, appIds } from "./apps.ts";

const ports = (addrs: { host: string; port: number }[]) => addrs.map((a) => `${a.host}:${a.port}`);

Deno.test("appIds() lowercases ids and reads them as paths; apps without id are skipped", () => {
  const ids = appIds({ apps: [{ id: "/Users" }, { id: "/appgroup//Web/" }, { instances: 1 }] });
  assertEquals([...ids].sort(), ["/appgroup/web", "/users"]);
  assertEquals([...appIds({})], []);
  assertEquals(appIdKey("relative"), undefined);
});

Deno.test("appIds() and appAddresses() refuse a body that is not a JSON object", async () => {
  await assertRejects(() => appIds([]), "not a JSON object");
  await assertRejects(() => appAddresses("x", false), "not a JSON object");
});

Deno.test("appAddresses() takes each task's host and first port; tasks lacking them are skipped", () => {
  const app = {
    id: "/web",
    tasks: [
      { host: "10.0.0.1", ports: [31000, 31001] },
      { host: "10.0.0.2", ports: [] },
      { ports: [31002] },
      { host: "10.0.0.3", ports: [31003] },
    ],
  };
  assertEquals(ports(appAddresses({ app }, false)), ["10.0.0.1:31000", "10.0.0.3:31003"]);
  assertEquals(appAddresses({ app: { id: "/web" } }, false), []);
  assertEquals(appAddresses({}, false), []);
});

Deno.test("appAddresses() with ipAddress.discovery ports uses each task's ipAddresses[0] and that port", () => {
  const app = {
    ipAddress: { discovery: { ports: [{ name: "http", number: 8080 }, { number: 9090 }] } },
    tasks: [
      { host: "10.0.0.1", ports: [31000], ipAddresses: [{ ipAddress: "172.17.0.2" }] },
      { host: "10.0.0.2", ports: [31001], ipAddresses: [] },
    ],
  };
  assertEquals(ports(appAddresses({ app }, false)), ["172.17.0.2:8080"]);
});

Deno.test("appAddresses() with useHealthCheck keeps running tasks with enough alive results", () => {
  const task = (host: string, state: string | undefined, alive?: boolean[]) => ({
    host,
    ports: [80],
    ...(state ? { state } : {}),
    ...(alive ? { healthCheckResults: alive.map((a) => ({ alive: a })) } : {}),
  });
  const tasks = [
    task("ok", "TASK_RUNNING", [true, true]),
    task("one-dead", "TASK_RUNNING", [true, false]),
    task("staging", "TASK_STAGING", [true, true]),
    task("no-results", "TASK_RUNNING"),
    task("no-state", undefined, [true, true]),
  ];
  const hosts = (body: unknown, hc: boolean) => appAddresses(body, hc).map((a) => a.host);
  // Two health checks defined: two alive results needed.
  const checked = { app: { healthChecks: [{}, {}], tasks } };
  assertEquals(hosts(checked, true), ["ok"]);
  assertEquals(hosts(checked, false).length, 5, "without useHealthCheck every task counts");
  // No health check defined: every running task is healthy, whatever its results.
  assertEquals(hosts({ app: { tasks } }, true), ["ok", "one-dead", "no-results"]);
});
