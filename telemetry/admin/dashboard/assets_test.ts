import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { dashboardSources } from "./assets.ts";

Deno.test("dashboardSources() embeds uPlot from its npm package and the pages' files", () => {
  const src = dashboardSources();
  assertStringIncludes(src.files["uplot.iife.min.js"]!, "var uPlot=function()");
  assertStringIncludes(src.files["uplot.min.css"]!, ".uplot");
  assertStringIncludes(src.index, 'id="initial-summary"');
  assertStringIncludes(src.delegator, "/dashboard/delegator.js");
  assertStringIncludes(src.favicon, "<svg");
});

Deno.test("dashboardSources() survives `deno bundle`: the text imports are embedded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-bundle-" });
  try {
    const out = `${dir}/assets.js`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=deno",
        "-o",
        out,
        new URL("./assets.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    // Loaded from a folder with no node_modules and no sources: only the bundle's own text.
    const bundled = await import(`file://${out}`);
    assert(typeof bundled.dashboardSources === "function", "exported");
    assertEquals(bundled.dashboardSources(), dashboardSources());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboardSources() browser scripts type-check against the DOM (checkJs)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-checkjs-" });
  try {
    const config = `${dir}/deno.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        compilerOptions: { checkJs: true, strict: false, lib: ["dom", "dom.iterable", "esnext"] },
      }),
    );
    const here = (f: string) => new URL(`./${f}`, import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", config, here("dashboard.js"), here("delegator.js")],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
