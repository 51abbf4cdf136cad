import { assertEquals } from "../../tests/support/assert.ts";
import { delegationTo } from "./diagnostic_tracer.ts";
import type { DelegateNode } from "../dtab/delegate.ts";

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
