/**
 * Linkerd 1.x's HTTP identifier tests, ported to the real process: each router of one
 * Switchyard has the identifier config of a Linkerd test, and the name it gave a request is read
 * from `l5d-dst-service` at a real upstream (or the 400 when it gave none).
 *
 * - `linkerd/protocol/http/src/test/scala/io/buoyant/linkerd/protocol/http/`
 *   HeaderIdentifierConfigTest, HeaderTokenIdentifierConfigTest, PathIdentifierConfigTest,
 *   StaticIdentifierConfigTest, MethodAndHostIdentifierConfigTest, HttpConfigTest ('default
 *   identifier', 'single identifier', 'identifier list', 'identifier list with fallback')
 * - `router/http/src/test/scala/io/buoyant/router/http/MethodAndHostIdentifierTest.scala`
 *   (what MethodAndHostIdentifierConfigTest's `httpUriInDst` does)
 *
 * - IngressIdentifierTest (with a fake Kubernetes API serving its ingress list)
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";

const dec = new TextDecoder();

/** Send raw request bytes (closing the connection after) and return the response text. */
async function raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    let out = "";
    const buf = new Uint8Array(16384);
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += dec.decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}

Deno.test("linkerd identifier config tests", async (t) => {
  const app = startUpstream("app");
  const router = (label: string, identifier: string) => `
- protocol: http
  label: ${label}
  ${identifier}
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]`;
  const sy: Running = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:${router("default", "")}${
    router("header", "identifier: {kind: io.l5d.header, header: my-header}")
  }${router("headerDefault", "identifier: {kind: io.l5d.header}")}${
    router("token", "identifier: {kind: io.l5d.header.token, header: my-header}")
  }${router("tokenDefault", "identifier: {kind: io.l5d.header.token}")}${
    router("path", "identifier: {kind: io.l5d.path, segments: 2, consume: true}")
  }${router("static", "identifier: {kind: io.l5d.static, path: /foo}")}${
    router("mh", "identifier: {kind: io.l5d.methodAndHost}")
  }${router("mhUri", "identifier: {kind: io.l5d.methodAndHost, httpUriInDst: true}")}${
    router("list", "identifier: [{kind: io.l5d.methodAndHost}, {kind: io.l5d.path}]")
  }
`);
  const port = (label: string) => sy.ports[label]![0]!;
  /** GET `path` with `headers` through router `label`: [status, l5d-dst-service, path seen]. */
  const name = async (label: string, path: string, headers: string[] = []) => {
    const before = app.seen.length;
    const r = await curl([
      ...headers.flatMap((h) => ["-H", h]),
      `http://${sy.proxy(label)}${path}`,
    ]);
    if (app.seen.length === before) return [r.status, undefined, undefined];
    const seen = app.seen.at(-1)!;
    return [r.status, seen.headers["l5d-dst-service"], new URL(seen.url).pathname];
  };
  /** A raw request through router `label`: [status, l5d-dst-service]. */
  const nameRaw = async (label: string, request: string) => {
    const before = app.seen.length;
    const text = await raw(port(label), request);
    const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 0);
    const dst = app.seen.length > before ? app.seen.at(-1)!.headers["l5d-dst-service"] : undefined;
    return [status, dst];
  };
  try {
    await t.step("linkerd HeaderIdentifierConfigTest: parse config", async () => {
      assertEquals(await name("header", "/", ["my-header: /one/two/three"]), [
        200,
        "/svc/one/two/three",
        "/",
      ]);
    });
    await t.step("linkerd HeaderIdentifierConfigTest: default header", async () => {
      assertEquals(
        (await name("headerDefault", "/", ["l5d-name: /one/two/three"]))[1],
        "/svc/one/two/three",
      );
    });
    await t.step("linkerd HeaderTokenIdentifierConfigTest: parse config", async () => {
      assertEquals((await name("token", "/", ["my-header: foo", "Host: bar"]))[1], "/svc/foo");
    });
    await t.step("linkerd HeaderTokenIdentifierConfigTest: default header", async () => {
      assertEquals((await name("tokenDefault", "/", ["Host: foo"]))[1], "/svc/foo");
    });
    await t.step(
      "linkerd PathIdentifierConfigTest: parse config (segments 2, consume)",
      async () => {
        assertEquals(await name("path", "/one/two/three"), [200, "/svc/one/two", "/three"]);
      },
    );
    await t.step("linkerd StaticIdentifierConfigTest: parse config", async () => {
      assertEquals((await name("static", "/any/thing", ["Host: bar"]))[1], "/svc/foo");
    });
    await t.step("linkerd HttpConfigTest: default identifier", async () => {
      assertEquals(
        (await name("default", "/one/two/three", ["Host: host.com"]))[1],
        "/svc/host.com",
      );
    });
    await t.step("linkerd HttpConfigTest: single identifier", async () => {
      assertEquals(
        (await name("mh", "/one/two/three", ["Host: host.com"]))[1],
        "/svc/1.1/GET/host.com",
      );
    });
    await t.step("linkerd HttpConfigTest: identifier list", async () => {
      assertEquals(
        (await name("list", "/one/two/three", ["Host: host.com"]))[1],
        "/svc/1.1/GET/host.com",
      );
    });
    await t.step("linkerd HttpConfigTest: identifier list with fallback", async () => {
      // No Host: io.l5d.methodAndHost leaves an HTTP/1.1 request unidentified; io.l5d.path names it.
      assertEquals(
        await nameRaw("list", "GET /one/two/three HTTP/1.1\r\nConnection: close\r\n\r\n"),
        [200, "/svc/one"],
      );
    });
    await t.step(
      "linkerd MethodAndHostIdentifierTest: http/1.1 request without a host header",
      async () => {
        const [status, dst] = await nameRaw(
          "mh",
          "GET /some/path?other=stuff HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        assertEquals([status, dst], [400, undefined]);
      },
    );
    await t.step(
      "linkerd MethodAndHostIdentifierTest: http/1.1 request with a host header",
      async () => {
        // The host is lower-cased (RFC 2616).
        assertEquals(
          (await name("mh", "/some/path?other=stuff", ["Host: DoMaiN"]))[1],
          "/svc/1.1/GET/domain",
        );
      },
    );
    await t.step(
      "linkerd MethodAndHostIdentifierConfigTest: parse config (httpUriInDst)",
      async () => {
        // 'http/1.1 with URIs': the path, without its query, follows the host.
        assertEquals(
          (await name("mhUri", "/some/path?other=stuff", ["Host: domain"]))[1],
          "/svc/1.1/GET/domain/some/path",
        );
      },
    );
    await t.step("linkerd MethodAndHostIdentifierTest: http/1.0, http/1.0 with uri", async () => {
      const post = "POST /drum/bass HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
      assertEquals(await nameRaw("mh", post), [200, "/svc/1.0/POST"]);
      assertEquals(await nameRaw("mhUri", post), [200, "/svc/1.0/POST/drum/bass"]);
    });
  } finally {
    await sy.stop();
    await app.close();
  }
});

// `linkerd/protocol/http/src/test/scala/io/buoyant/linkerd/protocol/http/IngressIdentifierTest`
// (and IngressIdentifierConfigTest's `ignoreDefaultBackends`): its ingress list, served by a fake
// Kubernetes API, identifies requests on two routers, one ignoring default backends.
Deno.test("linkerd IngressIdentifierTest", async (t) => {
  const api = startFakeK8sApi();
  api.put("ingresses", "fooNamespace", {
    metadata: { name: "test-ingress" },
    spec: {
      backend: { serviceName: "defaultService", servicePort: "defaultPort" },
      rules: [{
        host: "foo.bar.com",
        http: {
          paths: [
            {
              path: "/fooPath/.*",
              backend: { serviceName: "fooPathService", servicePort: "fooPathPort" },
            },
            { backend: { serviceName: "fooHostService", servicePort: "fooHostPort" } },
          ],
        },
      }],
    },
  });
  const app = startUpstream("app");
  const router = (label: string, ignore: boolean) => `
- protocol: http
  label: ${label}
  identifier:
    kind: io.l5d.ingress
    host: 127.0.0.1
    port: ${api.port}
    ignoreDefaultBackends: ${ignore}
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:${router("ingress", false)}${router("strict", true)}
`);
  const name = async (label: string, host: string, path: string) => {
    const before = app.seen.length;
    const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy(label)}${path}`]);
    const dst = app.seen.length > before ? app.seen.at(-1)!.headers["l5d-dst-service"] : undefined;
    return { status: r.status, dst, body: r.body };
  };
  try {
    // The watch delivers the ingress a moment after start.
    assert(
      await eventually(async () => (await name("ingress", "foo.bar.com", "/x")).status === 200),
    );
    await t.step(
      "linkerd IngressIdentifierTest: identifies requests by host, without path",
      async () => {
        assertEquals(
          (await name("ingress", "foo.bar.com", "/penguins")).dst,
          "/svc/fooNamespace/fooHostPort/fooHostService",
        );
      },
    );
    await t.step("linkerd IngressIdentifierTest: identifies requests by host & path", async () => {
      assertEquals(
        (await name("ingress", "foo.bar.com", "/fooPath/penguins")).dst,
        "/svc/fooNamespace/fooPathPort/fooPathService",
      );
    });
    await t.step("linkerd IngressIdentifierTest: falls back to the default backend", async () => {
      assertEquals(
        (await name("ingress", "authority", "/fooPath/penguins")).dst,
        "/svc/fooNamespace/defaultPort/defaultService",
      );
    });
    await t.step(
      "linkerd IngressIdentifierTest: ignoreDefaultBackends ingress identifies requests by host & path",
      async () => {
        assertEquals(
          (await name("strict", "foo.bar.com", "/fooPath/penguins")).dst,
          "/svc/fooNamespace/fooPathPort/fooPathService",
        );
      },
    );
    await t.step(
      "linkerd IngressIdentifierTest: ignoreDefaultBackends ingress does not fall back to the default backend",
      async () => {
        const r = await name("strict", "authority", "/fooPath/puffins");
        assertEquals([r.status, r.dst], [400, undefined]);
        assertStringIncludes(r.body, "no ingress rule matches");
      },
    );
  } finally {
    await sy.stop();
    await app.close();
    await api.close();
  }
});
