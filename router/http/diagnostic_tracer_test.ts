import { assert, assertEquals } from "../../tests/support/assert.ts";
import { delegationTo, diagnosticTracer } from "./diagnostic_tracer.ts";
import type { DelegateNode } from "../dtab/delegate.ts";
import { Ctx } from "../core/ctx.ts";
import { requestWithMethod } from "../core/request_method.ts";

const bound = (id: string) => ({
  addr: { type: "bound" as const, addrs: [], meta: {} },
  id,
  path: "/",
});

Deno.test("delegationTo() lists the path from the name to the chosen client's leaf", () => {
  const tree: DelegateNode = {
    type: "delegate",
    path: "/svc/web",
    dentry: null,
    delegate: {
      type: "alt",
      path: "/svc/web",
      dentry: { prefix: "/svc/web", dst: "/srv/web-v2 | /srv/web-v1" },
      alt: [
        {
          type: "leaf",
          path: "/#/fs/web-v2",
          dentry: { prefix: "/srv", dst: "/#/fs" },
          bound: bound("/#/fs/web-v2"),
        },
        {
          type: "leaf",
          path: "/#/fs/web-v1",
          dentry: { prefix: "/srv", dst: "/#/fs" },
          bound: bound("/#/fs/web-v1"),
        },
      ],
    },
  };
  assertEquals(delegationTo(tree, "/#/fs/web-v1"), [
    "  /svc/web",
    "  /svc/web (/svc/web=>/srv/web-v2 | /srv/web-v1)",
    "  /#/fs/web-v1 (/srv=>/#/fs)",
  ]);
  assertEquals(delegationTo(tree, "/#/fs/other"), []);
});

Deno.test("diagnosticTracer() without an endpoint names the one the balancer picked for the attempt", async () => {
  // One filter for a client's endpoints: the selected address is `ctx.endpoint` when the
  // attempt entered it, even if a later attempt changes it before this one's answer is read.
  const filter = diagnosticTracer({
    router: "outgoing",
    addresses: () => ["127.0.0.1:81", "127.0.0.2:82"],
    delegation: () => ["  /svc/web"],
  });
  const url = new URL("http://web/");
  const ctx = new Ctx({
    url,
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: Date.now(),
    remoteAddr: "127.0.0.9",
    host: url.host,
    target: "/",
  });
  ctx.endpoint = "127.0.0.2:82";
  const req = requestWithMethod(url.href, {
    method: "TRACE",
    headers: new Headers({ "l5d-add-context": "true" }),
  });
  const rsp = await filter(req, ctx, () => {
    ctx.endpoint = "127.0.0.1:81"; // as a retry's balancer pick would
    return Promise.resolve(new Response("upstream", { headers: { "content-length": "8" } }));
  });
  const text = await rsp.text();
  assert(text.includes("addresses: [127.0.0.1:81, 127.0.0.2:82]"), text);
  assert(text.includes("selected address: 127.0.0.2:82\n"), text);
});
