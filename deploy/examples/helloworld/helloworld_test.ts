import { assert, assertEquals, assertRejects } from "../../../tests/support/assert.ts";
import { startSniffer } from "./_sniffer_proxy.ts";
import {
  helloWorldOptionsFromEnv,
  type HelloWorldServer,
  main,
  parseHelloWorldArgs,
  startHelloWorld,
} from "./helloworld.ts";

// ---------------------------------------------------------------------------------------------
// Helpers: loopback only, port 0.

/** One request to an app; returns status, body and headers, with the body consumed. */
async function call(
  server: HelloWorldServer,
  path = "/",
  init: RequestInit = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** A loopback port that nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

// ---------------------------------------------------------------------------------------------
// Serving

Deno.test("startHelloWorld() answers `<text> (<podIp>)!` on any path, as text/plain", async () => {
  const world = startHelloWorld({ text: "world" });
  const pod = startHelloWorld({ text: "world", podIp: "10.1.2.3" });
  const bare = startHelloWorld({ text: "Hello", podIp: "" });
  try {
    const res = await call(world);
    assertEquals([res.status, res.body], [200, "world (127.0.0.1)!"]);
    assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assertEquals((await call(world, "/anything?x=1")).body, "world (127.0.0.1)!");
    assertEquals((await call(pod)).body, "world (10.1.2.3)!");
    assertEquals((await call(bare)).body, "Hello!");
  } finally {
    await Promise.all([world.close(), pod.close(), bare.close()]);
  }
});

Deno.test("startHelloWorld() serves GET /health with ok", async () => {
  const app = startHelloWorld({ text: "Hello", failureRate: 1 });
  try {
    const res = await call(app, "/health");
    assertEquals([res.status, res.body], [200, "ok"]);
  } finally {
    await app.close();
  }
});

Deno.test("startHelloWorld() listens on a Go -addr and reports the bound port", async () => {
  const app = startHelloWorld({ addr: "127.0.0.1:0", text: "Hello" });
  try {
    assertEquals(app.hostname, "127.0.0.1");
    assert(app.port > 0);
    assertEquals((await call(app)).body, "Hello (127.0.0.1)!");
  } finally {
    await app.close();
  }
});

Deno.test('startHelloWorld() -json answers {"api_result": …} with Go\'s HTML escapes', async () => {
  const app = startHelloWorld({ text: "a<b&c", json: true });
  try {
    const res = await call(app);
    assertEquals(res.body, '{"api_result":"a\\u003cb\\u0026c (127.0.0.1)"}');
    assertEquals(JSON.parse(res.body), { api_result: "a<b&c (127.0.0.1)" });
    assertEquals(res.headers.get("content-type"), "application/json");
  } finally {
    await app.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The target call

Deno.test("startHelloWorld() calls its target in absolute-form via the proxy with l5d-ctx-*", async () => {
  const world = startHelloWorld({ text: "world" });
  const proxy = startSniffer({ world: world.port });
  const hello = startHelloWorld({
    text: "Hello",
    target: "world",
    proxy: `127.0.0.1:${proxy.port}`,
  });
  try {
    const res = await call(hello, "/", {
      headers: {
        "l5d-ctx-trace": "AAAA",
        "l5d-ctx-deadline": "1,2",
        "l5d-dtab": "/svc=>/x",
        "x-private": "no",
      },
    });
    assertEquals([res.status, res.body], [200, "Hello (127.0.0.1) world (127.0.0.1)!!"]);
    assertEquals(proxy.heads.length, 1);
    const [requestLine, ...lines] = (proxy.heads[0] ?? "").split("\r\n");
    assertEquals(requestLine, "GET http://world/ HTTP/1.1");
    const headers = new Map(lines.map((l) => {
      const colon = l.indexOf(":");
      return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()] as const;
    }));
    assertEquals(headers.get("host"), "world");
    assertEquals(headers.get("l5d-ctx-trace"), "AAAA");
    assertEquals(headers.get("l5d-ctx-deadline"), "1,2");
    assertEquals(headers.has("l5d-dtab"), false, "the Go app copies only l5d-ctx*");
    assertEquals(headers.has("x-private"), false);
  } finally {
    await hello.close();
    await proxy.close();
    await world.close();
  }
});

Deno.test("startHelloWorld() -json with a target embeds the target body before the `!`", async () => {
  const world = startHelloWorld({ text: "world" });
  const proxy = startSniffer({ world: world.port });
  const hello = startHelloWorld({
    text: "Hello",
    target: "world",
    proxy: `http://127.0.0.1:${proxy.port}`,
    json: true,
  });
  try {
    assertEquals((await call(hello)).body, '{"api_result":"Hello (127.0.0.1) world (127.0.0.1)!"}');
  } finally {
    await hello.close();
    await proxy.close();
    await world.close();
  }
});

Deno.test("startHelloWorld() without a proxy connects straight to the target", async () => {
  const world = startHelloWorld({ text: "world", podIp: "10.0.0.2" });
  const hello = startHelloWorld({
    text: "Hello",
    podIp: "10.0.0.1",
    target: `127.0.0.1:${world.port}`,
  });
  try {
    assertEquals((await call(hello)).body, "Hello (10.0.0.1) world (10.0.0.2)!!");
  } finally {
    await hello.close();
    await world.close();
  }
});

Deno.test("startHelloWorld() answers 503 with the error text when the target call fails", async () => {
  const world = startHelloWorld({ text: "world", failureRate: 1 });
  const proxy = startSniffer({ world: world.port });
  const failing = startHelloWorld({
    text: "Hello",
    target: "world",
    proxy: `127.0.0.1:${proxy.port}`,
  });
  const refused = startHelloWorld({
    text: "Hello",
    target: "world",
    proxy: `127.0.0.1:${closedPort()}`,
  });
  try {
    const bad = await call(failing);
    assertEquals([bad.status, bad.body], [503, "invalid response 500\n"]);
    assertEquals(bad.headers.get("x-content-type-options"), "nosniff");
    const down = await call(refused);
    assertEquals(down.status, 503);
    assert(down.body.startsWith('Get "http://world": '), down.body);
    assert(down.body.endsWith("\n"));
  } finally {
    await Promise.all([failing.close(), refused.close()]);
    await proxy.close();
    await world.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Fault knobs

Deno.test("startHelloWorld() failure rate 1 answers 500 with an empty Go error, 0 answers 200", async () => {
  const always = startHelloWorld({ text: "Hello", failureRate: 1 });
  const never = startHelloWorld({ text: "Hello", failureRate: 0 });
  try {
    assertEquals([(await call(always)).status, (await call(always)).body], [500, "\n"]);
    assertEquals((await call(never)).status, 200);
  } finally {
    await Promise.all([always.close(), never.close()]);
  }
});

Deno.test("startHelloWorld() fails when the injected draw is below the failure rate", async () => {
  const draws = [0.4, 0.6, 0.5];
  const app = startHelloWorld({
    text: "Hello",
    failureRate: 0.5,
    random: () => draws.shift() ?? 0,
  });
  try {
    assertEquals((await call(app)).status, 500);
    assertEquals((await call(app)).status, 200);
    assertEquals((await call(app)).status, 200, "0.5 is not below 0.5");
  } finally {
    await app.close();
  }
});

Deno.test("startHelloWorld() -latency delays the answer (bounded)", async () => {
  const app = startHelloWorld({ text: "Hello", latencyMs: 150 });
  try {
    const t0 = performance.now();
    assertEquals((await call(app)).status, 200);
    const took = performance.now() - t0;
    assert(took >= 140 && took < 3_000, `took ${took} ms`);
  } finally {
    await app.close();
  }
});

Deno.test("startHelloWorld() POST /setLatency changes the latency at runtime", async () => {
  const lines: string[] = [];
  const app = startHelloWorld({ text: "Hello", log: (l) => void lines.push(l) });
  const post = { method: "POST" };
  try {
    assertEquals((await call(app, "/setLatency?latency=120ms", post)).body, "ok");
    assertEquals(lines, ["set latency to 120ms"]);
    const t0 = performance.now();
    await call(app);
    const took = performance.now() - t0;
    assert(took >= 110 && took < 3_000, `took ${took} ms`);
    assertEquals((await call(app, "/setLatency?latency=0", post)).body, "ok");
    const get = await call(app, "/setLatency?latency=1s");
    assertEquals([get.status, get.body], [405, "POST required\n"]);
    const missing = await call(app, "/setLatency", post);
    assertEquals([missing.status, missing.body], [400, "missing required parameter: latency\n"]);
    const bad = await call(app, "/setLatency?latency=100", post);
    assertEquals([bad.status, bad.body], [400, "latency is not a valid duration\n"]);
  } finally {
    await app.close();
  }
});

Deno.test("startHelloWorld() POST /setFailureRate changes the failure rate at runtime", async () => {
  const app = startHelloWorld({ text: "Hello" });
  const post = { method: "POST" };
  try {
    assertEquals((await call(app, "/setFailureRate?failureRate=1", post)).body, "ok");
    assertEquals((await call(app)).status, 500);
    assertEquals((await call(app, "/setFailureRate?failureRate=0.0", post)).body, "ok");
    assertEquals((await call(app)).status, 200);
    const range = await call(app, "/setFailureRate?failureRate=1.5", post);
    assertEquals([range.status, range.body], [400, "failureRate must be between 0.0 and 1.0\n"]);
    const nan = await call(app, "/setFailureRate?failureRate=half", post);
    assertEquals([nan.status, nan.body], [400, "failureRate is not a valid float\n"]);
    const missing = await call(app, "/setFailureRate", post);
    assertEquals(missing.body, "missing required parameter: failureRate\n");
    assertEquals((await call(app, "/setFailureRate?failureRate=1")).status, 405);
    assertEquals((await call(app)).status, 200, "rejected values leave the rate unchanged");
  } finally {
    await app.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Lifecycle

Deno.test("startHelloWorld() close() cuts a latency sleep short and is idempotent", async () => {
  const app = startHelloWorld({ text: "Hello", latencyMs: 60_000 });
  const pending = call(app);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  await Promise.all([app.close(), app.close()]);
  assertEquals((await pending).status, 200);
  assert(performance.now() - t0 < 5_000);
});

Deno.test("startHelloWorld() stops when its signal aborts", async () => {
  const stop = new AbortController();
  const app = startHelloWorld({ text: "Hello", signal: stop.signal });
  assertEquals((await call(app)).status, 200);
  stop.abort();
  await app.finished;
  await assertRejects(() => fetch(`http://127.0.0.1:${app.port}/`));
  await app.close();
});

Deno.test("startHelloWorld() rejects a bad -addr", () => {
  let error: unknown;
  try {
    startHelloWorld({ addr: "7777", text: "Hello" });
  } catch (e: unknown) {
    error = e;
  }
  assert(error instanceof SyntaxError);
});

// ---------------------------------------------------------------------------------------------
// Flags and environment

Deno.test("helloWorldOptionsFromEnv() applies TARGET_WORLD, POD_IP and http_proxy", () => {
  const world = helloWorldOptionsFromEnv(
    parseHelloWorldArgs(["-addr=:7778"]),
    envOf({ TARGET_WORLD: "world", POD_IP: "10.0.0.9", http_proxy: "l5d:4140" }),
  );
  assertEquals(world, {
    addr: ":7778",
    text: "world",
    podIp: "10.0.0.9",
    latencyMs: 0,
    failureRate: 0,
    json: false,
  });
  const hello = helloWorldOptionsFromEnv(
    parseHelloWorldArgs(["-target=world", "-latency=1s"]),
    envOf({ http_proxy: "l5d:4140" }),
  );
  assertEquals([hello.text, hello.podIp, hello.target, hello.proxy], [
    "Hello",
    "127.0.0.1",
    "world",
    "l5d:4140",
  ]);
  assertEquals(hello.latencyMs, 1_000);
});

// ---------------------------------------------------------------------------------------------
// The program

Deno.test("main() exits 2 on bad flags, 0 on -help, 1 on -protocol=grpc", async () => {
  const err: string[] = [];
  const io = { env: () => undefined, out: () => {}, err: (l: string) => void err.push(l) };
  assertEquals(await main(["-nope"], io), 2);
  assertEquals(err[0], "flag provided but not defined: -nope");
  assertEquals(await main(["-help"], io), 0);
  assertEquals(await main(["-protocol=grpc"], io), 1);
  assertEquals(err.at(-1), "unsupported protocol: grpc");
  assertEquals(await main(["-addr=nope"], io), 1);
});

Deno.test("helloworld.ts runs on its own and stops cleanly on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./helloworld.ts", import.meta.url).pathname, "-addr=127.0.0.1:0"],
    env: { POD_IP: "10.9.8.7", TARGET_WORLD: "" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const { value = "" } = await lines.read();
    const banner = /^starting HTTP server on 127\.0\.0\.1:(\d+)\n/.exec(value);
    assert(banner, value);
    const res = await fetch(`http://127.0.0.1:${banner[1]}/`);
    assertEquals(await res.text(), "Hello (10.9.8.7)!");
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
  }
  assertEquals((await child.status).code, 0);
});
