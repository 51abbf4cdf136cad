import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { bundleModules } from "./bundle.ts";
import { dashboardSources } from "./assets.ts";

function throws(fn: () => unknown, includes: string): void {
  try {
    fn();
  } catch (e: unknown) {
    assert(e instanceof TypeError, `a TypeError, got ${e}`);
    assertStringIncludes(e.message, includes);
    return;
  }
  throw new Error(`expected a TypeError mentioning ${includes}`);
}

Deno.test("bundleModules() puts dependencies first, once, and strips import/export", () => {
  const js = bundleModules("main.js", {
    "main.js":
      'import { a } from "./a.js";\nimport {\n  b,\n} from "./b.js";\nout.push(a() + b);\n',
    "a.js": 'import { b } from "./b.js";\nexport function a() {\n  return b * 10;\n}\n',
    "b.js": "export const b = 2;\n",
    "unused.js": "export const nope = 1;\n",
  });
  assertEquals(js.indexOf("// ---- b.js") < js.indexOf("// ---- a.js"), true);
  assertEquals(js.indexOf("// ---- a.js") < js.indexOf("// ---- main.js"), true);
  assertEquals(js.includes("unused.js"), false);
  assertEquals(/\bimport\b|\bexport\b/.test(js), false);
  const out: number[] = [];
  new Function("out", js)(out);
  assertEquals(out, [22]);
});

Deno.test("bundleModules() refuses what it does not understand", () => {
  const one = (main: string) => () =>
    bundleModules("m.js", { "m.js": main, "x.js": "export const x = 1;\n" });
  throws(one('import x from "./x.js";\n'), "plain named imports");
  throws(one('import * as x from "./x.js";\n'), "plain named imports");
  throws(one('import { x as y } from "./x.js";\n'), "plain named imports");
  throws(one('import { x } from "uplot";\n'), "only relative imports");
  throws(one('import { x } from "./y.js";\n'), "not given");
  throws(one("const a = 1;\nexport { a };\n"), "before a declaration");
  throws(
    () =>
      bundleModules("a.js", {
        "a.js": 'import { b } from "./b.js";\n',
        "b.js": 'import { a } from "./a.js";\n',
      }),
    "import cycle",
  );
});

Deno.test("bundleModules() bundles the dashboard's and the playground's scripts into valid JS", () => {
  const { files } = dashboardSources();
  for (const entry of ["dashboard.js", "delegator.js"]) {
    const js = bundleModules(entry, files);
    // Parsing is enough to catch a name declared twice across files (an early SyntaxError).
    new Function(js);
    assertStringIncludes(js, `// ---- ${entry}`);
    assertStringIncludes(js, "// ---- common.js");
  }
});
