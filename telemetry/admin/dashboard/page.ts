/**
 * Makes a page one self-contained response: every `<link rel="stylesheet">`, `<script src>` and
 * `<script type="module" src>` that points into `/dashboard/` is replaced by the file's text
 * inline (modules bundled with {@linkcode bundleModules}). One request instead of ten matters
 * on a busy two-core box, where each round trip through the admin server waits for a CPU.
 *
 * @module
 */
import { bundleModules } from "./bundle.ts";

const STYLE = /<link rel="stylesheet" href="\/dashboard\/([^"]+)">/g;
const SCRIPT = /<script( type="module")? src="\/dashboard\/([^"]+)"><\/script>/g;

function file(files: Readonly<Record<string, string>>, name: string): string {
  const text = files[name];
  if (text === undefined) {
    throw new TypeError(`the page links /dashboard/${name}, which is not embedded`);
  }
  return text;
}

/**
 * Inlines a page's styles and scripts.
 *
 * @param html The page, linking files as `/dashboard/<name>`.
 * @param files File name → text of every linked file (and of the modules they import).
 * @returns The page with no `/dashboard/` style or script links left.
 * @throws {TypeError} When a linked file is missing or a module cannot be bundled.
 * @example
 * ```ts
 * import { inlinePage } from "./page.ts";
 * inlinePage('<link rel="stylesheet" href="/dashboard/a.css">', { "a.css": "b{}" }); // "<style>\nb{}\n</style>"
 * ```
 */
export function inlinePage(html: string, files: Readonly<Record<string, string>>): string {
  return html
    .replace(STYLE, (_m, name: string) => {
      const css = file(files, name).replaceAll("</style", "<\\/style");
      return `<style>\n${css}\n</style>`;
    })
    .replace(SCRIPT, (_m, module: string | undefined, name: string) => {
      const js = module ? bundleModules(name, files) : file(files, name);
      // "</script" can only occur inside a string, regexp or comment, where "<\/" means the same.
      return `<script>\n${js.replaceAll("</script", "<\\/script")}\n</script>`;
    });
}
