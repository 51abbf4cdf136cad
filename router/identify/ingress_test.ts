import { assert, assertEquals } from "../../tests/support/assert.ts";
import { eventually } from "../../tests/support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import { createK8sApi } from "../../discovery/k8s/mod.ts";
import { type Identified, type IdentifyInput } from "./identifier.ts";
import { ingressIdentifier } from "./ingress.ts";
import { closeIdentifiers, identifiersFromConfig } from "./mod.ts";

function input(host: string, path = "/"): IdentifyInput {
  const url = new URL(`http://${host}${path}`);
  return { req: new Request(url), url, host };
}

function shown(r: Identified): string {
  return r.ok ? "/" + r.dst.join("/") : `unidentified: ${r.reason}`;
}

const v1Web = {
  metadata: { name: "web" },
  spec: {
    rules: [{
      host: "web.test",
      http: {
        paths: [{
          path: "/",
          pathType: "Prefix",
          backend: { service: { name: "web", port: { name: "http" } } },
        }],
      },
    }],
  },
};

Deno.test("ingressIdentifier() is unidentified until the first list, then names /svc/<ns>/<port>/<service>", async () => {
  const fake = startFakeK8sApi();
  fake.put("ingresses", "shop", v1Web);
  fake.pauseWatches(); // the list answers; the watch waits
  const id = ingressIdentifier(["svc"], { host: fake.hostname, port: fake.port });
  try {
    assertEquals(shown(id(input("web.test"))), "unidentified: ingress resources not loaded yet");
    assert(await eventually(() => id.loaded()));
    assertEquals(shown(id(input("web.test:80", "/a"))), "/svc/shop/http/web");
    assertEquals(shown(id(input("other.test"))), "unidentified: no ingress rule matches");
    assert(fake.requests[0]!.startsWith("GET /apis/networking.k8s.io/v1/ingresses"));
  } finally {
    await id.close();
    await fake.close();
  }
});

Deno.test("ingressIdentifier() follows ingresses added, modified and deleted through the watch", async () => {
  const fake = startFakeK8sApi();
  const id = ingressIdentifier(["svc"], { host: fake.hostname, port: fake.port });
  try {
    assert(await eventually(() => id.loaded() && fake.watchCount() === 1));
    assertEquals(shown(id(input("web.test"))), "unidentified: no ingress rule matches");
    fake.put("ingresses", "shop", v1Web);
    assert(await eventually(() => id(input("web.test")).ok));
    assertEquals(shown(id(input("web.test"))), "/svc/shop/http/web");
    fake.put("ingresses", "shop", {
      ...v1Web,
      metadata: { name: "web", annotations: { "kubernetes.io/ingress.class": "nginx" } },
    });
    assert(await eventually(() => !id(input("web.test")).ok)); // now another controller's
    fake.put("ingresses", "shop", v1Web);
    assert(await eventually(() => id(input("web.test")).ok));
    fake.remove("ingresses", "shop", "web");
    assert(await eventually(() => !id(input("web.test")).ok));
    assertEquals(id.ingresses().length, 0);
  } finally {
    await id.close();
    await fake.close();
  }
});

Deno.test("ingressIdentifier() falls back to extensions/v1beta1 when the cluster does not serve networking.k8s.io/v1", async () => {
  const fake = startFakeK8sApi({ unservedApis: ["networking.k8s.io/v1"] });
  fake.put("ingresses", "shop", {
    metadata: { name: "old" },
    spec: { backend: { serviceName: "legacy", servicePort: 8080 } },
  });
  const id = ingressIdentifier(["svc"], { host: fake.hostname, port: fake.port });
  try {
    assert(await eventually(() => id.loaded() && fake.watchCount() === 1));
    assertEquals(shown(id(input("any.test", "/x"))), "/svc/shop/8080/legacy");
    assert(fake.requests.some((r) => r.startsWith("GET /apis/networking.k8s.io/v1/ingresses")));
    assert(fake.requests.some((r) => r.startsWith("GET /apis/extensions/v1beta1/ingresses?watch")));
  } finally {
    await id.close();
    await fake.close();
  }
});

Deno.test("ingressIdentifier() with a namespace and apiVersion watches only that namespace of that API", async () => {
  const fake = startFakeK8sApi();
  fake.put("ingresses", "shop", v1Web);
  fake.put("ingresses", "other", { ...v1Web, metadata: { name: "web2" } });
  const api = createK8sApi({ host: fake.hostname, port: fake.port });
  const id = ingressIdentifier(
    ["in"],
    { namespace: "other", apiVersion: "extensions/v1beta1", ignoreDefaultBackends: true },
    { api },
  );
  try {
    assert(await eventually(() => id.loaded() && fake.watchCount() === 1));
    assertEquals(shown(id(input("web.test"))), "/in/other/http/web");
    assertEquals(id.ingresses().map((i) => i.name), ["web2"]);
    assert(
      fake.requests.every((r) =>
        r.startsWith("GET /apis/extensions/v1beta1/namespaces/other/ingresses")
      ),
    );
  } finally {
    await id.close();
    api.close();
    await fake.close();
  }
});

Deno.test("identifiersFromConfig() builds io.l5d.ingress and closeIdentifiers() stops its watch", async () => {
  const fake = startFakeK8sApi();
  fake.put("ingresses", "shop", v1Web);
  const ids = identifiersFromConfig(
    [{ kind: "io.l5d.ingress", host: fake.hostname, port: fake.port }, { kind: "io.l5d.path" }],
    ["svc"],
    (s) => s.split("/").filter(Boolean),
  );
  try {
    assert(await eventually(() => ids[0]!(input("web.test")).ok && fake.watchCount() === 1));
    assertEquals(shown(ids[0]!(input("web.test"))), "/svc/shop/http/web");
  } finally {
    await closeIdentifiers(ids);
    assert(await eventually(() => fake.watchCount() === 0));
    await fake.close();
  }
});
