/**
 * Every dtab in the Linkerd corpus under `shared/compat` parses with the Finagle grammar: each
 * `dtab:` (and legacy `baseDtab:`) string in the YAML files (linkerd-configs, linkerd-examples,
 * linkerd-repo, including configs embedded as strings in Kubernetes ConfigMaps), each namerd
 * `namespaces` value, and the two `.dtab` files. `show` of each is canonical.
 */
import { parseAllDocuments } from "yaml";
import { assert, assertEquals } from "../support/assert.ts";
import { parseDtab, showDtab } from "../../router/dtab/mod.ts";

const root = new URL("../../../shared/compat/", import.meta.url);

async function* walkFiles(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walkFiles(u);
    else if (e.isFile) yield u;
  }
}

interface Found {
  where: string;
  text: string;
}

/** Collect dtab strings from a parsed YAML value; strings that look like configs are parsed too. */
function collect(v: unknown, where: string, out: Found[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => collect(x, `${where}[${i}]`, out));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const here = `${where}.${k}`;
      if ((k === "dtab" || k === "baseDtab") && typeof x === "string") {
        out.push({ where: here, text: x });
      } else if (k === "namespaces" && typeof x === "object" && x !== null && !Array.isArray(x)) {
        for (const [ns, d] of Object.entries(x)) {
          if (typeof d === "string") out.push({ where: `${here}.${ns}`, text: d });
        }
      } else collect(x, here, out);
    }
  } else if (typeof v === "string" && /^\s*(dtab|namespaces|baseDtab):/m.test(v)) {
    for (const doc of parseAllDocuments(v)) collect(doc.toJS(), `${where}<embedded>`, out);
  }
}

Deno.test("corpus dtabs: every dtab in shared/compat parses", async () => {
  const found: Found[] = [];
  let files = 0;
  let dtabFiles = 0;
  for await (const u of walkFiles(root)) {
    const rel = u.pathname.slice(root.pathname.length);
    if (/\.ya?ml$/.test(rel)) {
      files++;
      const docs = parseAllDocuments(await Deno.readTextFile(u));
      docs.forEach((doc, i) => collect(doc.toJS(), `${rel}#${i}`, found));
    } else if (rel.endsWith(".dtab")) {
      dtabFiles++;
      found.push({ where: rel, text: await Deno.readTextFile(u) });
    }
  }
  const failures: string[] = [];
  for (const f of found) {
    try {
      const shown = showDtab(parseDtab(f.text));
      assertEquals(showDtab(parseDtab(shown)), shown);
    } catch (e: unknown) {
      failures.push(`${f.where}: ${(e as Error).message}`);
    }
  }
  // deno-lint-ignore no-console
  console.log(
    `corpus dtabs: ${found.length - failures.length}/${found.length} parsed ` +
      `(${files} YAML files, ${dtabFiles} .dtab files)`,
  );
  assertEquals(failures, []);
  assertEquals(dtabFiles, 2);
  assert(found.length > 50, `only ${found.length} dtabs found`);
});
