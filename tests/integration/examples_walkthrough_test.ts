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

const EXAMPLES = new URL("../../../shared/compat/linkerd-examples/", import.meta.url);

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
