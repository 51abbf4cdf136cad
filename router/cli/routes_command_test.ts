import { assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { runRoutes } from "./routes_command.ts";
import { captureIo } from "./_io_test_util.ts";

const yaml = `
routers:
- protocol: http
  label: plain
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
- protocol: http
  label: edge
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
  identifier:
  - kind: io.l5d.header
    header: x-dst
  - kind: switchyard.routes
    routes:
    - match: {method: POST, path: /api/*}
      dst: /svc/writes
    - match: {path: "/api/users/:id", headers: {x-canary: "1"}}
      dst: /svc/canary/{id}
      timeoutMs: 200
      requestHeaders: {remove: [x-canary]}
    - match: {path: "/api/users/:id"}
      dst: /svc/users/{id}
      rewrite: {path: "/v2/{id}"}
`;

async function withConfig(fn: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, yaml);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("runRoutes() lists the routes tried, the match, the name and the overrides", async () => {
  await withConfig(async (path) => {
    const io = captureIo();
    const code = await runRoutes(path, "GET", "http://api/api/users/7?x=1", {
      headers: ["x-canary: 1"],
    }, io);
    assertEquals(code, 0, io.errors.join("\n"));
    assertEquals(io.lines, [
      "router edge: GET http://api/api/users/7?x=1 (Host: api)",
      "identifier io.l5d.header:",
      "  ✗ x-dst header is absent",
      "identifier switchyard.routes:",
      "  ✗ routes[0] POST /api/*  method GET is not POST",
      "  ✓ routes[1] * /api/users/:id x-canary: 1",
      "  params id=7",
      "name    /svc/canary/7",
      "forward GET /api/users/7?x=1",
      "route   timeoutMs 200",
      "route   request headers remove x-canary",
    ]);
  });
});

Deno.test("runRoutes() shows the rewritten target and an earlier identifier winning", async () => {
  await withConfig(async (path) => {
    const io = captureIo();
    assertEquals(await runRoutes(path, "GET", "api/api/users/9", {}, io), 0);
    assertStringIncludes(
      io.lines.join("\n"),
      "name    /svc/users/9\nforward GET /v2/9 (rewritten)",
    );
    const hdr = captureIo();
    assertEquals(await runRoutes(path, "GET", "http://api/x", { headers: ["x-dst: /a"] }, hdr), 0);
    assertEquals(hdr.lines.slice(1), [
      "identifier io.l5d.header:",
      "name    /svc/a",
      "forward GET /x",
    ]);
  });
});

Deno.test("runRoutes() exits 1 when nothing names the request", async () => {
  await withConfig(async (path) => {
    const io = captureIo();
    assertEquals(await runRoutes(path, "GET", "http://api/other", {}, io), 1);
    assertEquals(
      io.lines.at(-1),
      "no identifier names this request: the router answers 400 Unknown destination",
    );
    const plain = captureIo();
    assertEquals(await runRoutes(path, "GET", "http://hello/", { router: "plain" }, plain), 0);
    assertEquals(plain.lines.slice(1, 3), [
      "identifier io.l5d.header.token:",
      "name    /svc/hello",
    ]);
  });
});

Deno.test("runRoutes() reports a bad method, URL or header with a fix", async () => {
  await withConfig(async (path) => {
    for (
      const [m, u, h] of [["G T", "http://a/", []], ["GET", "http://[", []], ["GET", "http://a/", [
        "nocolon",
      ]]] as const
    ) {
      const io = captureIo();
      assertEquals(await runRoutes(path, m, u, { headers: h }, io), 2);
      assertStringIncludes(io.errors[1] ?? "", "fix: ");
    }
  });
});
