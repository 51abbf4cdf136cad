import { assertEquals } from "../../tests/support/assert.ts";
import { adminCategory, type AdminSecurity, adminSecurity } from "./security.ts";

function check(sec: AdminSecurity, table: Record<string, boolean>): void {
  const allowed = adminSecurity(sec);
  const got = Object.fromEntries(Object.keys(table).map((p) => [p, allowed(p)]));
  assertEquals(got, table);
}

Deno.test("adminCategory() follows Linkerd's SecurityFilter lists; other paths are diagnostics", () => {
  for (const p of ["/", "/files/css/a.css", "/admin/files/js/b.js", "/config.json"]) {
    assertEquals(adminCategory(p), "ui", p);
  }
  for (const p of ["/metrics.json", "/admin/metrics.json", "/admin/metrics", "/delegator"]) {
    assertEquals(adminCategory(p), "ui", p);
  }
  for (const p of ["/delegator.json", "/logging", "/help", "/admin/api/summary.json"]) {
    assertEquals(adminCategory(p), "ui", p);
  }
  for (const p of ["/admin/shutdown", "/logging.json", "/admin/reload"]) {
    assertEquals(adminCategory(p), "control", p);
  }
  for (const p of ["/admin/ping", "/admin/threads", "/configXjson", "/help/", "/metrics", "/x"]) {
    assertEquals(adminCategory(p), "diagnostics", p);
  }
});

// The tables of L1 admin/src/test/scala/io/buoyant/admin/SecurityFilterTest.scala.
Deno.test("adminSecurity() lets ui pass when only control and diagnostics are off", () => {
  check({ controlEnabled: false, diagnosticsEnabled: false }, {
    "/": true,
    "/files/css/lib/bootstrap.min.css": true,
    "/config.json": true,
    "/metrics.json": true,
    "/delegator": true,
    "/logging": true,
    "/help": true,
    "/admin/shutdown": false,
    "/admin/threads": false,
  });
});

Deno.test("adminSecurity() whitelist re-enables paths of disabled categories, whole-path match", () => {
  const whitelist = ["^/fooba[rz]$", "^/abc/def/.*$"];
  check({ controlEnabled: false, diagnosticsEnabled: false, pathWhitelist: whitelist }, {
    "/": true,
    "/config.json": true,
    "/foobar": true,
    "/foobaz": true,
    "/foobaf": false,
    "/abc/def": false,
    "/abc/def/ghi": true,
    "/admin/shutdown": false,
    "/admin/threads": false,
  });
  check({
    uiEnabled: false,
    controlEnabled: false,
    diagnosticsEnabled: false,
    pathWhitelist: whitelist,
  }, {
    "/": false,
    "/files/css/lib/bootstrap.min.css": false,
    "/foobar": true,
    "/abc/def/ghi": true,
    "/admin/shutdown": false,
  });
  // Without anchors the regex still has to match the whole path.
  check({ diagnosticsEnabled: false, pathWhitelist: ["/admin/pi"] }, {
    "/admin/ping": false,
    "/admin/pi": true,
  });
});

Deno.test("adminSecurity() blacklist only blocks, and wins over the whitelist", () => {
  check({ diagnosticsEnabled: false }, {
    "/admin/shutdown": true,
    "/logging.json": true,
    "/sth/else": false,
  });
  check({ pathBlacklist: ["^/help$"] }, {
    "/files/css/lib/fonts.css": true,
    "/help": false,
    "/x": true,
  });
  check({ pathWhitelist: ["^/help$"], pathBlacklist: ["^/help$"] }, { "/help": false, "/": true });
});
