import { assertEquals } from "../../tests/support/assert.ts";
import type { Ingress } from "../../discovery/k8s/mod.ts";
import {
  compileIngress,
  hostWithoutPort,
  type IngressSpec,
  matchIngress,
} from "./ingress_rules.ts";

function v1beta1(
  name: string,
  spec: NonNullable<Ingress["spec"]>,
  annotations?: Record<string, string>,
): Ingress {
  return { metadata: { name, namespace: "shop", ...(annotations ? { annotations } : {}) }, spec };
}

const beta = v1beta1("web", {
  backend: { serviceName: "fallback", servicePort: 8080 },
  rules: [
    {
      host: "Web.Example.com",
      http: { paths: [{ path: "/api", backend: { serviceName: "api", servicePort: "http" } }] },
    },
    {
      host: "web.example.com",
      http: { paths: [{ backend: { serviceName: "site", servicePort: 80 } }] },
    },
    {
      http: { paths: [{ path: "/static/.*", backend: { serviceName: "cdn", servicePort: 81 } }] },
    },
  ],
});

function compiled(obj: Ingress, cls = "linkerd"): IngressSpec {
  const c = compileIngress(obj, cls);
  if (!c) throw new Error("not compiled");
  return c;
}

function dst(ings: IngressSpec[], host: string, path: string, ignore = false): string | undefined {
  const r = matchIngress(ings, host, path, ignore);
  return r ? `${r.namespace}/${r.port}/${r.service}` : undefined;
}

Deno.test("compileIngress() reads extensions/v1beta1 rules, port numbers and names, and spec.backend", () => {
  const c = compiled(beta);
  assertEquals(c.namespace, "shop");
  assertEquals(c.name, "web");
  assertEquals(c.rules.map((r) => [r.host, r.path, r.service, r.port]), [
    ["Web.Example.com", "/api", "api", "http"],
    ["web.example.com", undefined, "site", "80"],
    [undefined, "/static/.*", "cdn", "81"],
  ]);
  assertEquals(c.fallback?.service, "fallback");
  assertEquals(c.fallback?.port, "8080");
});

Deno.test("compileIngress() reads networking.k8s.io/v1 backends, pathType and spec.defaultBackend", () => {
  const c = compiled({
    metadata: { name: "v1", namespace: "prod" },
    spec: {
      defaultBackend: { service: { name: "home", port: { name: "web" } } },
      rules: [{
        host: "a.test",
        http: {
          paths: [
            {
              path: "/x",
              pathType: "Exact",
              backend: { service: { name: "x", port: { number: 9 } } },
            },
            {
              path: "/y",
              pathType: "Prefix",
              backend: { service: { name: "y", port: { name: "grpc" } } },
            },
            { path: "/z", pathType: "ImplementationSpecific", backend: { service: { name: "z" } } },
          ],
        },
      }],
    },
  });
  assertEquals(c.rules.map((r) => [r.path, r.match, r.service, r.port]), [
    ["/x", "exact", "x", "9"],
    ["/y", "segments", "y", "grpc"],
  ]); // a backend without a port names nothing and is skipped
  assertEquals([c.fallback?.namespace, c.fallback?.port, c.fallback?.service], [
    "prod",
    "web",
    "home",
  ]);
});

Deno.test("compileIngress() keeps ingresses of its class or without one, and drops the others", () => {
  const spec = { backend: { serviceName: "s", servicePort: 80 } };
  const cls = "kubernetes.io/ingress.class";
  assertEquals(compileIngress(v1beta1("a", spec), "linkerd") !== undefined, true);
  assertEquals(
    compileIngress(v1beta1("a", spec, { [cls]: "linkerd" }), "linkerd") !== undefined,
    true,
  );
  assertEquals(compileIngress(v1beta1("a", spec, { [cls]: "nginx" }), "linkerd"), undefined);
  assertEquals(compileIngress(v1beta1("a", spec, { [cls]: "nginx" }), "nginx") !== undefined, true);
  assertEquals(
    compileIngress(v1beta1("a", { ...spec, ingressClassName: "nginx" }), "linkerd"),
    undefined,
  );
  assertEquals(
    compileIngress(
      v1beta1("a", { ...spec, ingressClassName: "nginx" }, { [cls]: "linkerd" }),
      "linkerd",
    ) !==
      undefined,
    true,
  ); // the annotation wins over the field
  assertEquals(compileIngress({ metadata: { name: "nospec" } }, "linkerd"), undefined);
});

Deno.test("matchIngress() matches host without port case-sensitively and paths as whole-path regexes, first rule wins", () => {
  const ings = [compiled(beta)];
  assertEquals(dst(ings, "Web.Example.com:8443", "/api"), "shop/http/api");
  assertEquals(dst(ings, "WEB.example.com:8443", "/api"), "shop/8080/fallback"); // host case
  assertEquals(dst(ings, "web.example.com", "/api"), "shop/80/site"); // the next rule's host
  assertEquals(dst(ings, "Web.Example.com", "/api/users"), "shop/8080/fallback"); // not a prefix
  assertEquals(dst(ings, "Web.Example.com", "/apix"), "shop/8080/fallback");
  assertEquals(dst(ings, "web.example.com", "/other"), "shop/80/site");
  assertEquals(dst(ings, "elsewhere", "/static/app.js"), "shop/81/cdn"); // `/static/.*`
  assertEquals(dst(ings, "elsewhere", "/static"), "shop/8080/fallback");
  assertEquals(dst(ings, "elsewhere", "/"), "shop/8080/fallback");
  assertEquals(dst(ings, "elsewhere", "/", true), undefined);
});

Deno.test("matchIngress() treats an invalid regex path as matching nothing", () => {
  const ing = compiled(v1beta1("bad", {
    rules: [{ http: { paths: [{ path: "/a(", backend: { serviceName: "a", servicePort: 1 } }] } }],
  }));
  assertEquals(dst([ing], "h", "/a("), undefined);
  assertEquals(dst([ing], "h", "/a"), undefined);
});

Deno.test("matchIngress() honours v1 Exact and element-wise Prefix paths", () => {
  const ing = compiled({
    metadata: { name: "p", namespace: "ns" },
    spec: {
      rules: [{
        http: {
          paths: [
            {
              path: "/exact",
              pathType: "Exact",
              backend: { service: { name: "e", port: { number: 1 } } },
            },
            {
              path: "/foo/",
              pathType: "Prefix",
              backend: { service: { name: "f", port: { number: 2 } } },
            },
          ],
        },
      }],
    },
  });
  assertEquals(dst([ing], "h", "/exact"), "ns/1/e");
  assertEquals(dst([ing], "h", "/exact/more"), undefined);
  assertEquals(dst([ing], "h", "/foo"), "ns/2/f");
  assertEquals(dst([ing], "h", "/foo/bar"), "ns/2/f");
  assertEquals(dst([ing], "h", "/foobar"), undefined);
});

Deno.test("matchIngress() tries every ingress's rules before any default backend", () => {
  const first = compiled(v1beta1("first", { backend: { serviceName: "dflt", servicePort: 80 } }));
  const second = compiled(v1beta1("second", {
    rules: [{
      host: "b.test",
      http: { paths: [{ backend: { serviceName: "b", servicePort: 80 } }] },
    }],
  }));
  assertEquals(dst([first, second], "b.test", "/"), "shop/80/b");
  assertEquals(dst([first, second], "c.test", "/"), "shop/80/dflt");
  assertEquals(dst([first, second], "c.test", "/", true), undefined);
});

Deno.test("hostWithoutPort() drops the port and keeps the case, IPv6 literals included", () => {
  assertEquals(hostWithoutPort("Web.Test:80"), "Web.Test");
  assertEquals(hostWithoutPort("web.test"), "web.test");
  assertEquals(hostWithoutPort("[::1]:4140"), "[::1]");
});
