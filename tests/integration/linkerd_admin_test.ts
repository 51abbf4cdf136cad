/**
 * Linkerd's `/delegator.json` request handling, ported from L1
 * `linkerd/admin/src/test/scala/io/buoyant/linkerd/admin/names/DelegateApiHandlerTest.scala`
 * (handler: `admin/names/src/main/scala/io/buoyant/admin/names/DelegateApiHandler.scala`). The
 * tree it answers for that test's dtab is checked in `admin_test.ts`. Also the admin pages of L1
 * `DashboardHandlerTest.scala` and `LinkerdAdminTest.scala` (same folder).
 */
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl } from "../support/upstream.ts";

const DTAB = "/bah/humbug => /$/inet/127.1/8080;/foo => /bah | /$/fail;/foo => /bar;/boo => /foo";

async function withPlain(fn: (admin: string) => Promise<void>): Promise<void> {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: plain
  servers: [{port: 0}]
`);
  try {
    await fn(sy.admin);
  } finally {
    await sy.stop();
  }
}

const post = (admin: string, body: string, ...args: string[]) =>
  curl(["-X", "POST", ...args, "--data-binary", body, `${admin}/delegator.json`]);

Deno.test("linkerd DelegateApiHandlerTest: /delegate response via POST with JSON content type", async () => {
  await withPlain(async (admin) => {
    const body = `{"namespace": "plain", "path": "/boo/humbug", "dtab": "${DTAB}" }`;
    const viaPost = await post(admin, body, "-H", "content-type: application/json");
    assertEquals(viaPost.status, 200, viaPost.body);
    const q = new URLSearchParams({ namespace: "plain", path: "/boo/humbug", dtab: DTAB });
    const viaGet = await curl([`${admin}/delegator.json?${q}`]);
    assertEquals(viaPost.body, viaGet.body);
    const tree = JSON.parse(viaPost.body);
    assertEquals([tree.type, tree.path, tree.delegate.path], [
      "delegate",
      "/boo/humbug",
      "/foo/humbug",
    ]);
  });
});

Deno.test("linkerd DelegateApiHandlerTest: /delegate response via POST with JSON content type - wrong content", async () => {
  await withPlain(async (admin) => {
    const body = `{"namespace": "plain", "path": "/boo/humbug", "dtab": ... }`;
    const r = await post(admin, body, "-H", "content-type: application/json");
    assertEquals(r.status, 400);
    assertEquals(r.body, `Malformed delegation request: ${body}`);
    // DelegationRequest(ns, Some(dtab), Some(path)): a body without a dtab is malformed too
    const noDtab = await post(admin, `{"path": "/boo"}`, "-H", "content-type: application/json");
    assertEquals(noDtab.status, 400);
  });
});

Deno.test("linkerd DelegateApiHandlerTest: /delegate response via POST - wrong content type", async () => {
  await withPlain(async (admin) => {
    const body = `{"namespace": "plain", "path": "/boo/humbug", "dtab": "${DTAB}" }`;
    assertEquals((await post(admin, body, "-H", "content-type:")).status, 415);
    assertEquals((await post(admin, body, "-H", "content-type: text/plain")).status, 415);
    // curl's default for --data: a form, which Linkerd's handler does not read either
    assertEquals((await post(admin, body)).status, 415);
  });
});

Deno.test("linkerd DelegateApiHandlerTest: invalid path results in 400", async () => {
  await withPlain(async (admin) => {
    const r = await curl([`${admin}/delegator.json?path=invalid-param&namespace=plain`]);
    assertEquals(r.status, 400);
    assertEquals(r.body, "Invalid path: '/' expected but 'i' found at '[i]nvalid-param'");
  });
});

Deno.test("linkerd DelegateApiHandlerTest: invalid dtab results in 400", async () => {
  await withPlain(async (admin) => {
    const r = await curl([`${admin}/delegator.json?path=/boo/humbug&dtab=invalid-param`]);
    assertEquals(r.status, 400);
    assertEquals(r.body, "Invalid dtab: '/' expected but 'i' found at '[i]nvalid-param'");
  });
});

// L1 DashboardHandlerTest: "serves ok on /", "serves 404 other routes", "serves linkerd admin and
// version" (the page shows the build's version; Switchyard's dashboard is its own page, so it is
// Switchyard's version, as /admin/server_info reports it). LinkerdAdminTest: "serves twitter-server
// admin at admin", "serves admin/metrics.json", "serves 404 for a non-existent route".
Deno.test("linkerd DashboardHandlerTest / LinkerdAdminTest: /, /admin, /admin/metrics.json, 404, the version on the dashboard", async () => {
  await withPlain(async (admin) => {
    const page = await curl([`${admin}/`]);
    assertEquals(page.status, 200);
    const version = JSON.parse((await curl([`${admin}/admin/server_info`])).body).version;
    assertStringIncludes(page.body, `<small class="version">${version}</small>`);
    assertEquals((await curl([`${admin}/foo`])).status, 404);
    assertEquals((await curl([`${admin}/admin`])).status, 200);
    const metrics = await curl([`${admin}/admin/metrics.json`]);
    assertEquals(metrics.status, 200);
    assertEquals(typeof JSON.parse(metrics.body), "object");
  });
});
