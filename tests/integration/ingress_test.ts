/**
 * Switchyard as a Kubernetes ingress controller (`io.l5d.ingress`, Linkerd's
 * `linkerd-ingress-controller` example): a real Switchyard process watches Ingress resources on
 * a fake Kubernetes API (real HTTP, real chunked watch), and curl requests arriving at the
 * ingress listener reach real upstreams by host rule, path rule and default backend. An ingress
 * of another class is ignored, and ingresses added and removed through the watch take effect
 * without a restart. The dtab maps each `/svc/<ns>/<port>/<service>` name to an upstream port,
 * so the test does not depend on Endpoints.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { curl, eventually, startUpstream, type Upstream } from "../support/upstream.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import { nghttp, startPortPeer } from "../support/h2_peers.ts";

function v1Backend(name: string, port: { number: number } | { name: string }) {
  return { service: { name, port } };
}

Deno.test("ingress: host, path and default-backend rules route to real upstreams and follow the watch", async () => {
  const api = startFakeK8sApi();
  const names = ["web", "api", "fallback", "nginx", "late", "old"] as const;
  const ups = Object.fromEntries(names.map((n) => [n, startUpstream(n)])) as Record<
    typeof names[number],
    Upstream
  >;
  let sy: Running | undefined;
  try {
    // networking.k8s.io/v1 shape: a host with two paths (port by name and by number)
    api.put("ingresses", "shop", {
      metadata: { name: "web" },
      spec: {
        rules: [{
          host: "web.test",
          http: {
            paths: [
              { path: "/api", pathType: "Prefix", backend: v1Backend("api", { number: 80 }) },
              { path: "/", pathType: "Prefix", backend: v1Backend("web", { name: "http" }) },
            ],
          },
        }],
      },
    });
    // extensions/v1beta1 shape: only a default backend
    api.put("ingresses", "shop", {
      metadata: { name: "catch-all" },
      spec: { backend: { serviceName: "fallback", servicePort: 8080 } },
    });
    // extensions/v1beta1 path rule: Linkerd's regex that must match the whole path
    api.put("ingresses", "shop", {
      metadata: { name: "old" },
      spec: {
        rules: [{
          host: "old.test",
          http: {
            paths: [{ path: "/old/[0-9]+", backend: { serviceName: "old", servicePort: 80 } }],
          },
        }],
      },
    });
    // another controller's ingress: ignored
    api.put("ingresses", "shop", {
      metadata: { name: "theirs", annotations: { "kubernetes.io/ingress.class": "nginx" } },
      spec: {
        rules: [{
          host: "nginx.test",
          http: { paths: [{ backend: { serviceName: "nginx", servicePort: 80 } }] },
        }],
      },
    });
    const inet = (u: Upstream) => `/$/inet/127.0.0.1/${u.port}`;
    sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: ingress
  identifier:
    kind: io.l5d.ingress
    host: 127.0.0.1
    port: ${api.port}
  dtab: |
    /svc/shop/http/web     => ${inet(ups.web)};
    /svc/shop/80/api       => ${inet(ups.api)};
    /svc/shop/8080/fallback => ${inet(ups.fallback)};
    /svc/shop/80/nginx     => ${inet(ups.nginx)};
    /svc/shop/http/late    => ${inet(ups.late)};
    /svc/shop/80/old       => ${inet(ups.old)};
  servers:
  - {ip: 127.0.0.1, port: 0, clearContext: true}
  - {ip: 127.0.0.2, port: 0}
`);
    const base = `http://${sy.proxy("ingress")}`;
    const get = async (host: string, path = "/", to = base) => {
      const r = await curl(["-H", `Host: ${host}`, `${to}${path}`]);
      let name: string | undefined;
      try {
        name = (JSON.parse(r.body) as { name?: string }).name;
      } catch {
        name = undefined;
      }
      return { ...r, name };
    };

    // the first list may still be on its way when the listener is up
    assert(await eventually(async () => (await get("web.test")).name === "web", 10_000));
    const host = await get("web.test:80", "/index.html");
    assertEquals([host.status, host.name], [200, "web"]);
    // hosts compare case-sensitively (Linkerd's IngressCache): another case is the default backend
    const upper = await get("WEB.test:80", "/index.html");
    assertEquals([upper.status, upper.name], [200, "fallback"]);
    // a v1beta1 path is a regex over the whole path, not a prefix
    assertEquals((await get("old.test", "/old/42?x=1")).name, "old");
    assertEquals((await get("old.test:8080", "/old/7")).name, "old");
    assertEquals((await get("old.test", "/old/42/more")).name, "fallback");
    assertEquals((await get("old.test", "/old/x")).name, "fallback");
    assertEquals((await get("old.test", "/old")).name, "fallback");
    assertEquals(ups.old.seen.length, 2);
    const path = await get("web.test", "/api/users?id=7");
    assertEquals([path.status, path.name], [200, "api"]);
    assertStringIncludes(ups.api.seen.at(-1)!.url, "/api/users?id=7"); // forwarded unchanged
    const dflt = await get("unknown.test", "/x");
    assertEquals([dflt.status, dflt.name], [200, "fallback"]);
    const ignored = await get("nginx.test");
    assertEquals([ignored.status, ignored.name], [200, "fallback"]);
    assertEquals(ups.nginx.seen.length, 0);

    // an ingress added through the watch takes effect
    api.put("ingresses", "shop", {
      metadata: { name: "late" },
      spec: {
        rules: [{
          host: "late.test",
          http: {
            paths: [{
              path: "/",
              pathType: "Prefix",
              backend: v1Backend("late", { name: "http" }),
            }],
          },
        }],
      },
    });
    assert(await eventually(async () => (await get("late.test")).name === "late"));

    // removing the default backend: nothing matches → 400 with l5d-err, as other identifiers
    // (the clearContext edge listener answers the 400 without it, as Linkerd's ClearContext)
    api.remove("ingresses", "shop", "catch-all");
    assert(await eventually(async () => (await get("unknown.test")).status === 400));
    const edge = await get("unknown.test");
    assertEquals([edge.status, edge.headers.get("l5d-err")], [400, null]);
    const plain = sy.logs.map((l) => JSON.parse(l)).find((r) =>
      r.msg === "router listening" && r.ip === "127.0.0.2"
    );
    const none = await get("unknown.test", "/", `http://127.0.0.2:${plain?.port}`);
    assertEquals(none.status, 400);
    const noneErr = decodeURIComponent((none.headers.get("l5d-err") ?? "").replaceAll("+", " "));
    assert(
      /^Unknown destination: Request\("GET \/", from \/127\.0\.0\.1:\d+\) \/ no ingress rule matches$/
        .test(noneErr),
      noneErr,
    );
    assertEquals((await get("late.test")).name, "late"); // the others still route
  } finally {
    await sy?.stop();
    await Promise.all(Object.values(ups).map((u) => u.close()));
    await api.close();
  }
});

// protocol-h2.md "HTTP/2 Ingress Identifier": an h2 router's io.l5d.ingress compares a rule's
// host with `:authority` (not a `host` header), and names `/svc/<namespace>/<port>/<service>`.
Deno.test("ingress on an h2 router: rules match :authority (nghttp prior knowledge)", async () => {
  const api = startFakeK8sApi();
  const rule = await startPortPeer("h2-server");
  const fallback = await startPortPeer("h2-trailers-server");
  let sy: Running | undefined;
  try {
    api.put("ingresses", "default", {
      metadata: { name: "grpc", annotations: { "kubernetes.io/ingress.class": "linkerd" } },
      spec: {
        backend: { serviceName: "fallback", servicePort: 80 },
        rules: [{
          host: "web.test",
          http: {
            paths: [{ path: "/testpath", backend: { serviceName: "test", servicePort: 80 } }],
          },
        }],
      },
    });
    sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: h2
  identifier: {kind: io.l5d.ingress, namespace: default, host: 127.0.0.1, port: ${api.port}}
  dtab: |
    /svc/default/80/test => /$/inet/127.0.0.1/${rule.port};
    /svc/default/80/fallback => /$/inet/127.0.0.1/${fallback.port};
  servers: [{port: 0}]
`);
    const url = `http://127.0.0.1:${sy.ports.h2![0]}`;
    const get = (authority: string, path: string) =>
      nghttp(["-H", `:authority: ${authority}`, `${url}${path}`]);
    assert(
      await eventually(async () => (await get("web.test", "/testpath")).includes("path=/"), 10_000),
    );
    // the rule's host against :authority
    const hit = await get("web.test", "/testpath");
    assert(hit.includes("path=/testpath ") && hit.includes("authority=web.test"), hit);
    // another authority, or another path: the default backend
    assertEquals((await get("other.test", "/testpath")).trim(), "ok");
    assertEquals((await get("web.test", "/else")).trim(), "ok");
  } finally {
    await sy?.stop();
    await rule.peer.kill();
    await fallback.peer.kill();
    await api.close();
  }
});
