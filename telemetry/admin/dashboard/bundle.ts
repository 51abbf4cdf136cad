/**
 * A deliberately tiny bundler for the dashboard's own browser modules, so each page is one
 * response: ES modules that import named bindings from each other by relative path become one
 * classic script, dependencies first, wrapped in a function scope.
 *
 * It understands exactly the subset the dashboard's files use — `import { a, b } from "./x.js";`
 * (possibly over several lines) and `export` before a top-level `function`, `class`, `const` or
 * `let` — and throws on anything else (default, namespace or renamed imports, bare specifiers,
 * `export {…}`), so a file that outgrows it fails the unit tests rather than the browser. Top-level
 * names must be unique across the files of one page; a clash is a SyntaxError when the bundle is
 * parsed, which the unit tests do.
 *
 * @module
 */

const IMPORT = /^import\s+([\s\S]*?)\s+from\s+"([^"]+)";[ \t]*\n?/gm;
const EXPORT = /^export\s+(?=(?:async\s+)?function\b|class\b|const\b|let\b)/gm;

function importsOf(name: string, text: string): string[] {
  const deps: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const [, what, from] = m as unknown as [string, string, string];
    if (!from.startsWith("./")) throw new TypeError(`${name}: only relative imports: ${from}`);
    if (!/^\{[\s\w,$]*\}$/.test(what) || /\bas\b/.test(what)) {
      throw new TypeError(`${name}: only plain named imports are bundled: ${what}`);
    }
    deps.push(from.slice(2));
  }
  if (/^export\s+(?:\{|\*|default\b)/m.test(text)) {
    throw new TypeError(`${name}: only \`export\` before a declaration is bundled`);
  }
  return deps;
}

/**
 * Bundles `entry` and everything it imports from `files` into one classic script.
 *
 * @param entry The entry module's file name, e.g. `dashboard.js`.
 * @param files File name → module text, for every module the entry may reach.
 * @returns The script: `(() => { "use strict"; … })();`.
 * @throws {TypeError} On a missing file, an import cycle or syntax outside the subset above.
 * @example
 * ```ts
 * import { bundleModules } from "./bundle.ts";
 * const js = bundleModules("main.js", {
 *   "main.js": 'import { two } from "./two.js";\nconsole.log(two());\n',
 *   "two.js": "export function two() {\n  return 2;\n}\n",
 * });
 * ```
 */
export function bundleModules(entry: string, files: Readonly<Record<string, string>>): string {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, from: string) => {
    const s = state.get(name);
    if (s === "done") return;
    if (s === "visiting") throw new TypeError(`import cycle through ${name} (from ${from})`);
    const text = files[name];
    if (text === undefined) throw new TypeError(`${from} imports ${name}, which is not given`);
    state.set(name, "visiting");
    for (const dep of importsOf(name, text)) visit(dep, name);
    state.set(name, "done");
    order.push(name);
  };
  visit(entry, "the entry");
  const body = order.map((name) => {
    const text = (files[name] as string).replace(IMPORT, "").replace(EXPORT, "");
    return `// ---- ${name}\n${text}`;
  });
  return `(() => {\n"use strict";\n${body.join("\n")}\n})();\n`;
}
