import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { inlinePage } from "./page.ts";
import { dashboardSources } from "./assets.ts";

Deno.test("inlinePage() inlines styles, classic scripts and bundled modules", () => {
  const html = [
    '<link rel="stylesheet" href="/dashboard/a.css">',
    '<script src="/dashboard/lib.js"></script>',
    '<script type="module" src="/dashboard/app.js"></script>',
    '<link rel="icon" href="/dashboard/favicon.svg">',
  ].join("\n");
  const page = inlinePage(html, {
    "a.css": "b { color: red }",
    "lib.js": 'var lib = "</script>$&";',
    "app.js": 'import { x } from "./x.js";\nlib(x);\n',
    "x.js": "export const x = 1;\n",
  });
  assertStringIncludes(page, "<style>\nb { color: red }\n</style>");
  assertStringIncludes(page, 'var lib = "<\\/script>$&";');
  assertStringIncludes(page, "const x = 1;");
  assertStringIncludes(page, '<link rel="icon" href="/dashboard/favicon.svg">');
  assertEquals(page.includes('src="/dashboard/'), false);
});

Deno.test("inlinePage() throws when a linked file is not embedded", () => {
  let err: unknown;
  try {
    inlinePage('<script src="/dashboard/missing.js"></script>', {});
  } catch (e: unknown) {
    err = e;
  }
  assert(err instanceof TypeError);
  assertStringIncludes(err.message, "/dashboard/missing.js");
});

Deno.test("inlinePage() leaves the real pages with no request but the icon", () => {
  const src = dashboardSources();
  for (const html of [src.index, src.delegator]) {
    const page = inlinePage(html, src.files);
    const refs = [...page.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1]);
    assertEquals(refs, ["/dashboard/favicon.svg"]);
    assertEquals(
      /(?:src|href)="https?:|url\(["']?https?:|import\(["']https?:/.test(page),
      false,
      "no CDN",
    );
  }
});
