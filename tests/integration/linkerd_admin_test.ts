/**
 * Linkerd's `/delegator.json` request handling, ported from L1
 * `linkerd/admin/src/test/scala/io/buoyant/linkerd/admin/names/DelegateApiHandlerTest.scala`
 * (handler: `admin/names/src/main/scala/io/buoyant/admin/names/DelegateApiHandler.scala`). The
 * tree it answers for that test's dtab is checked in `admin_test.ts`.
 */
import { assertEquals } from "../support/assert.ts";
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
