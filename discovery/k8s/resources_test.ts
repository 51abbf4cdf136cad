import { assertEquals } from "../../tests/support/assert.ts";
import type { Endpoints, Service } from "./resources.ts";
import { addressesForPortName, addressesForPortNumber, resourceVersionOf } from "./resources.ts";

const endpoints: Endpoints = {
  metadata: { name: "web", namespace: "default", resourceVersion: "7" },
  subsets: [
    {
      addresses: [
        { ip: "10.0.1.5", nodeName: "a", targetRef: { kind: "Pod", name: "web-1" } },
        { ip: "10.0.2.5", nodeName: "b", targetRef: { kind: "Pod", name: "web-2" } },
      ],
      notReadyAddresses: [{ ip: "10.0.3.5", nodeName: "c" }],
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "admin", port: 9990 }],
    },
    // pods of the same service listening on another number for the same port name
    { addresses: [{ ip: "10.0.4.5", nodeName: "d" }], ports: [{ name: "http", port: 8081 }] },
    { addresses: [{ ip: "10.0.5.5" }], ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
  ],
};

Deno.test("addressesForPortName() resolves the port per subset and skips not-ready pods", () => {
  assertEquals(addressesForPortName(endpoints, "http"), [
    { host: "10.0.1.5", port: 8080, weight: 1, meta: { nodeName: "a", pod: "web-1" } },
    { host: "10.0.2.5", port: 8080, weight: 1, meta: { nodeName: "b", pod: "web-2" } },
    { host: "10.0.4.5", port: 8081, weight: 1, meta: { nodeName: "d" } },
  ]);
  assertEquals(addressesForPortName(endpoints, "admin")?.length, 2);
});

Deno.test("addressesForPortName() is undefined for a missing or non-TCP port", () => {
  assertEquals(addressesForPortName(endpoints, "grpc"), undefined);
  assertEquals(addressesForPortName(endpoints, "dns"), undefined);
  assertEquals(addressesForPortName({ metadata: { name: "empty" } }, "http"), undefined);
  assertEquals(
    addressesForPortName({ subsets: [{ ports: [{ name: "http", port: 1 }] }] }, "http"),
    [],
    "the port exists but no pod is ready: an empty set, not Neg",
  );
});

Deno.test("addressesForPortNumber() maps a service port through its name to the endpoints port", () => {
  const service: Service = {
    spec: {
      ports: [
        { name: "http", port: 80, targetPort: "web" }, // a named container port
        { name: "admin", port: 9990, targetPort: 9990 },
      ],
    },
  };
  assertEquals(addressesForPortNumber(service, endpoints, 80)?.map((a) => a.port), [
    8080,
    8080,
    8081,
  ]);
  assertEquals(addressesForPortNumber(service, endpoints, 9990)?.map((a) => a.port), [
    9990,
    9990,
    9990, // subsets without an "admin" port fall back to the numeric targetPort (Linkerd's rule)
    9990,
  ]);
  assertEquals(addressesForPortNumber(service, endpoints, 81), undefined);
  assertEquals(addressesForPortNumber(service, null, 80), [], "no Endpoints object: empty");
});

Deno.test("resourceVersionOf() reads metadata.resourceVersion", () => {
  assertEquals(resourceVersionOf(endpoints), "7");
  assertEquals(resourceVersionOf({ metadata: {} }), undefined);
  assertEquals(resourceVersionOf(null), undefined);
});

Deno.test("addressesForPortNumber() on EndpointsNamerTest's vectors (srv/sessions, srv/auth)", () => {
  const addrs = (ips: string[]) => ips.map((ip) => ({ ip }));
  const sessions: Endpoints = {
    subsets: [{
      addresses: addrs(["10.248.4.9", "10.248.7.11", "10.248.8.9"]),
      ports: [{ name: "http", port: 8083, protocol: "TCP" }, { name: "admin", port: 9990 }],
    }],
  };
  const sessionsSvc: Service = {
    spec: {
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: 54321 },
        { name: "admin", port: 9990, protocol: "TCP" },
      ],
    },
  };
  const ports = (a: ReturnType<typeof addressesForPortNumber>) =>
    a?.map((x) => `${x.host}:${x.port}`).sort();
  // "namer accepts port numbers": the numeric targetPort, not the endpoints' http port
  assertEquals(ports(addressesForPortNumber(sessionsSvc, sessions, 80)), [
    "10.248.4.9:54321",
    "10.248.7.11:54321",
    "10.248.8.9:54321",
  ]);
  // "namer accepts port numbers without target port defined"
  assertEquals(ports(addressesForPortNumber(sessionsSvc, sessions, 9990)), [
    "10.248.4.9:9990",
    "10.248.7.11:9990",
    "10.248.8.9:9990",
  ]);
  // "port numbers not defined in service resolve to neg"
  assertEquals(addressesForPortNumber(sessionsSvc, sessions, 555), undefined);
  // "port numbers can map to named target port"
  const auth: Endpoints = {
    subsets: [{
      addresses: addrs(["10.248.0.10", "10.248.1.9", "10.248.5.9"]),
      ports: [{ name: "http", port: 8082 }, { name: "admin", port: 9990 }],
    }],
  };
  const authSvc: Service = {
    spec: {
      ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "admin", port: 9990 }],
    },
  };
  assertEquals(ports(addressesForPortNumber(authSvc, auth, 80)), [
    "10.248.0.10:8082",
    "10.248.1.9:8082",
    "10.248.5.9:8082",
  ]);
  // a named targetPort that differs from the service port's name (Linkerd's lookup by target)
  const renamed: Service = { spec: { ports: [{ name: "web", port: 80, targetPort: "http" }] } };
  assertEquals(addressesForPortNumber(renamed, auth, 80)?.map((a) => a.port), [8082, 8082, 8082]);
});
