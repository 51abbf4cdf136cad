/**
 * The serving process never loads the config parser (issue 6: idle RSS). Module code is never
 * unloaded, so `serve` must not import zod, yaml or the `*_schema.ts` modules statically: the
 * config is validated in a `config-json` child (`router/config/child_load.ts`). This reads the
 * real module graph (`deno info --json`) of `main.ts` and of the `--workers` worker, follows
 * static imports only (dynamic imports and `import type` are not loaded with the module), and
 * names the import chain of any forbidden module it reaches.
 */
import { assertEquals } from "../support/assert.ts";

const ROOT = new URL("../../", import.meta.url);

interface Dep {
  readonly code?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}
interface Info {
  readonly roots: string[];
  readonly modules: { readonly specifier: string; readonly dependencies?: Dep[] }[];
  readonly redirects?: Record<string, string>;
}

const FORBIDDEN =
  /\/node_modules\/(zod|yaml)\/|_schema\.ts$|\/router\/config\/(schema|load|mod|check|lint)\.ts$/;

async function forbiddenChains(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const info: Info = JSON.parse(new TextDecoder().decode(out.stdout));
  const deps = new Map(info.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const root = info.roots[0]!;
  const from = new Map<string, string | null>([[root, null]]);
  const queue = [root];
  const bad: string[] = [];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const d of deps.get(s) ?? []) {
      if (!d.code || d.isDynamic) continue;
      const t = info.redirects?.[d.code.specifier] ?? d.code.specifier;
      if (from.has(t)) continue;
      from.set(t, s);
      if (FORBIDDEN.test(t)) {
        const chain: string[] = [];
        for (let c: string | null | undefined = t; c; c = from.get(c)) {
          chain.unshift(c.replace(ROOT.href, ""));
        }
        bad.push(chain.join(" -> "));
        continue;
      }
      queue.push(t);
    }
  }
  return bad;
}

Deno.test("serving graph: main.ts loads no zod, yaml or config schema statically", async () => {
  assertEquals(await forbiddenChains("main.ts"), []);
});

Deno.test("serving graph: the --workers worker loads no zod, yaml or config schema", async () => {
  assertEquals(await forbiddenChains("router/workers/worker_main.ts"), []);
});

Deno.test("serving graph: the check finds a forbidden import (the test can fail)", async () => {
  const chains = await forbiddenChains("router/config/load.ts");
  assertEquals(chains.some((c) => c.includes("node_modules/yaml/")), true, chains.join("\n"));
  assertEquals(chains.some((c) => c.includes("router/config/schema.ts")), true);
});
