/**
 * The linkerd-examples READMEs, walked as a Linkerd user would: each test starts Switchyard on the
 * example's own config (`../shared/compat/linkerd-examples/…`, changed only where it must be to
 * run here: loopback addresses, port 0, temp directories), starts the example's upstreams on
 * loopback and runs the commands its README gives, checking what the README (or Linkerd's
 * source, where the README shows the admin page) says Linkerd answers.
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";

const EXAMPLES = new URL("../../../shared/compat/linkerd-examples/", import.meta.url);
/** The linkerd configs of the examples' Kubernetes manifests, one file per ConfigMap. */
const CONFIGS = new URL("../../../shared/compat/linkerd-configs/", import.meta.url);

/** An example's config with its listeners moved to 127.0.0.1 port 0 (as every test here does). */
async function exampleConfig(file: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(file, EXAMPLES));
  return text.replaceAll("ip: 0.0.0.0", "ip: 127.0.0.1").replace(/port: \d+/g, "port: 0");
}

Deno.test("getting-started/local: Host hello to `127.1 <port>`, shown as 127.0.0.1", async () => {
  // README (linkerd.io "Running locally"): disco/hello holds `127.1 8888`, a web server serves
  // index.html on 8888, and `curl -H "Host: hello" localhost:4140` gets the page.
  const web = startUpstream("web", () => new Response("Hello linkerd!\n"));
  const disco = await fsNamerDir({ hello: `127.1 ${web.port}\n` });
  const yaml = (await exampleConfig("getting-started/local/linkerd.yaml"))
    .replace("rootDir: disco", `rootDir: ${disco}`);
  const sy = await startSwitchyard(yaml);
  try {
    const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/`]);
    assertEquals([r.status, r.body], [200, "Hello linkerd!\n"]);
    // The dtab playground's tree (Linkerd's DelegateApiHandler: `getHostAddress`) and the
    // client state (ClientStateHandler: `getHostString`, the address of an IP literal).
    const d = await (await fetch(`${sy.admin}/delegator.json?namespace=http&path=/svc/hello`))
      .json();
    assertEquals(d.delegate.bound.addr.addrs, [{ ip: "127.0.0.1", port: web.port, meta: {} }]);
    const cs = await (await fetch(`${sy.admin}/client_state.json`)).json();
    assertEquals(cs["/#/io.l5d.fs/hello"], {
      state: "bound",
      addresses: [`127.0.0.1:${web.port}`],
    });
  } finally {
    await sy.stop();
    await web.close();
    await Deno.remove(disco, { recursive: true });
  }
});

Deno.test("k8s-daemonset linkerd-tls.yml: outgoing to incoming over TLS (v1 certs)", async () => {
  // README "Daemonsets + TLS": `kubectl apply -f k8s/certificates.yml -f k8s/linkerd-tls.yml`,
  // then `http_proxy=$L5D_INGRESS_LB:4140 curl -s http://hello`. The demo certificates (CN
  // linkerd, no SAN) are X.509 v1, which rustls refuses both to serve and to verify.
  const certs = await Deno.makeTempDir({ prefix: "sy-l5d-certs-" });
  const secret = await Deno.readTextFile(new URL("k8s-daemonset/k8s/certificates.yml", EXAMPLES));
  for (const m of secret.matchAll(/^ {2}([\w.]+): ([A-Za-z0-9+/=]+)$/gm)) {
    await Deno.writeFile(`${certs}/${m[1]}`, Uint8Array.from(atob(m[2]!), (c) => c.charCodeAt(0)));
  }
  const api = startFakeK8sApi();
  const hello = startUpstream("hello");
  const yaml = (await Deno.readTextFile(new URL("linkerd-tls--l5d-config.yaml", CONFIGS)))
    .replaceAll("ip: 0.0.0.0", "ip: 127.0.0.1").replace(/port: \d+/g, "port: 0")
    .replace("host: localhost\n  port: 0", `host: 127.0.0.1\n  port: ${api.port}`)
    .replace(
      "service: l5d\n",
      `service: l5d\n      k8sHost: 127.0.0.1\n      k8sPort: ${api.port}\n`,
    )
    .replaceAll("/io.buoyant/linkerd/certs", certs);
  const sy = await startSwitchyard(yaml, { env: { POD_IP: "127.0.0.1" } });
  try {
    const node = { ip: "127.0.0.1", nodeName: "node-a" };
    api.setEndpoints("default", "l5d", [node], [{
      name: "incoming",
      port: sy.ports.incoming![0]!,
    }]);
    api.setEndpoints("default", "hello", [node], [{ name: "http", port: hello.port }]);
    const r = await curl(["-x", sy.proxy("outgoing"), "http://hello/"]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body).name, "hello");
    // the hop between the routers was TLS: the incoming listener does not speak plain HTTP
    const plain = await curl([`http://127.0.0.1:${sy.ports.incoming![0]}/`, "-H", "Host: hello"]);
    assertEquals(plain.status === 200, false, "the incoming router answered plain HTTP");
    const metrics = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    const incoming = "rt/incoming/client/%/io.l5d.k8s.localnode/127.0.0.1/#/io.l5d.k8s/default/" +
      "http/hello/requests";
    assertEquals(metrics[incoming], 1);
  } finally {
    await sy.stop();
    await hello.close();
    await api.close();
    await Deno.remove(certs, { recursive: true });
  }
});
