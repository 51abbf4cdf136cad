/**
 * Config loading for the serving process without zod or yaml in it (issue 6: idle RSS). Module
 * code is never unloaded, and the parser (yaml, zod and our schemas) costs ~18 MiB anon + ~10 MiB
 * file-backed memory once imported, so `serve`, `demo` and hot reload parse and validate the
 * config in a short-lived child process, `switchyard config-json - --name FILE`, and get the
 * validated config back as JSON ({@linkcode encodeConfigJson}). The result has the shape of
 * {@linkcode LoadResult}: errors keep their `file:line:column` form.
 *
 * The child is the same program. From source it is `deno run <the parent's flags>
 * router/config/config_json_main.ts - --name FILE` (a small entry that loads only the parser);
 * from a bundle, `deno run <flags> BUNDLE config-json …`; in a `deno compile` binary
 * (`Deno.build.standalone`), the binary itself with `config-json …`. The flags are read from
 * `/proc/self/cmdline` (without inspector/profiler/watch flags); where that is not readable, the
 * parent's granted permissions are used. The text goes through the child's stdin, so the child
 * reads exactly the bytes the parent hashes.
 *
 * `SWITCHYARD_CONFIG_INPROCESS=1` (or `inProcess: true`) parses in-process instead, importing the
 * parser on first use.
 *
 * @example
 * ```ts ignore
 * import { configLoader } from "./child_load.ts";
 * const loader = configLoader({ entry: new URL("../../main.ts", import.meta.url).href });
 * const r = await loader.load("linkerd.yaml");
 * if (r.ok) console.log(r.config.routers.length);
 * ```
 *
 * @module
 */
import type { ConfigErr, LoadResult, ParseResult } from "./load.ts";
import type { ConfigIssue } from "./issues.ts";
import { decodeConfigJson, encodeConfigJson, READ_FIX } from "./config_json.ts";

/** The environment variable that selects in-process parsing (`1`). */
export const INPROCESS_ENV = "SWITCHYARD_CONFIG_INPROCESS";

/** The hidden CLI command the child runs. */
export const CONFIG_JSON_COMMAND = "config-json";

/** Parses and validates configs. */
export interface ConfigLoader {
  /** `child` (a `config-json` process per parse) or `in-process`. */
  readonly mode: "child" | "in-process";
  /** Read a file (`-` = stdin, reported as `<stdin>`) and validate it. */
  load(path: string): Promise<LoadResult>;
  /** Validate text; issues name `file`. */
  parse(text: string, file: string): Promise<ParseResult>;
}

/** Options of {@linkcode configLoader}. */
export interface ConfigLoaderOptions {
  /**
   * The module URL of the CLI (`main.ts`, or the bundle), run with `config-json` by the child
   * under `deno run` when this module is not running from source (a bundle); default `main.ts`.
   */
  readonly entry?: string;
  /** The module the child runs; default {@linkcode childEntry} of `entry`. */
  readonly child?: ChildEntry;
  /** Parse in this process; default: `SWITCHYARD_CONFIG_INPROCESS=1`. */
  readonly inProcess?: boolean;
  /** Give up on a child after this long (ms, default 60000). */
  readonly timeoutMs?: number;
}

/** What {@linkcode configChildCommand} needs to know about this process. */
export interface ProcessFacts {
  /** `Deno.build.standalone`: a `deno compile` binary. */
  readonly standalone: boolean;
  /** `Deno.execPath()`. */
  readonly execPath: string;
  /** `Deno.mainModule`. */
  readonly mainModule: string;
  /** The process's argv (`/proc/self/cmdline`), if readable. */
  readonly argv?: readonly string[] | undefined;
  /** The working directory, to resolve a relative script argument. */
  readonly cwd: string;
  /** Permission flags to use when `argv` does not give the parent's flags. */
  readonly permissionFlags: readonly string[];
}

// Flags that must not be repeated in the child: a second inspector on the same port, a second
// profile, a watcher; `--no-code-cache` (router/v8_flags.ts), which saves the long-running
// parent ~3 MiB but would make every short-lived child compile zod and yaml from source; and
// `--v8-flags`: the parent's heap tuning means nothing to a parser that lives for a second, and a
// diagnostic flag (`--trace-gc`, `--trace-opt`, ...) prints to stdout, into the child's JSON
// reply (seen: `--v8-flags=--trace-gc` made every config "invalid" at 1:1).
const DROP_RE = /^--(inspect|cpu-prof|watch|hmr|coverage|no-code-cache|v8-flags)/;
const DROP_WITH_VALUE = new Set(["--cpu-prof-dir", "--cpu-prof-name", "--cpu-prof-interval"]);

function toUrl(arg: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(arg)) return arg;
  try {
    return new URL(arg, `file://${cwd.endsWith("/") ? cwd : cwd + "/"}`).href;
  } catch {
    return arg;
  }
}

/**
 * The parent's `deno run` flags, from its argv: everything between `run` (or the binary, for
 * `deno main.ts`) and the script, without inspector, profiler, watch and coverage flags.
 *
 * @param argv The process's argv, `argv[0]` being the deno binary.
 * @param mainModule `Deno.mainModule`, to find the script argument.
 * @param cwd To resolve a relative script argument.
 * @returns The flags, or `undefined` when argv is not a `deno run` of `mainModule` (`deno test`,
 *   `deno eval`, …).
 * @example
 * ```ts
 * import { parentRunFlags } from "./child_load.ts";
 * parentRunFlags(["deno", "run", "-A", "--inspect", "main.ts", "serve", "x"], "file:///w/main.ts", "/w");
 * // ["-A"]
 * ```
 */
export function parentRunFlags(
  argv: readonly string[],
  mainModule: string,
  cwd: string,
): string[] | undefined {
  let i = 1;
  const sub = argv[1];
  if (sub === "run") i++;
  else if (sub === undefined || (!sub.startsWith("-") && toUrl(sub, cwd) !== mainModule)) {
    return undefined;
  }
  const start = i;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") && toUrl(a, cwd) === mainModule) break;
  }
  if (i >= argv.length) return undefined;
  const flags: string[] = [];
  for (let j = start; j < i; j++) {
    const a = argv[j]!;
    if (DROP_WITH_VALUE.has(a)) {
      j++;
      continue;
    }
    if (DROP_RE.test(a)) continue;
    flags.push(a);
  }
  return flags;
}

/** Which module a `config-json` child runs under `deno run`. */
export type ChildEntry =
  /** `config_json_main.ts`: takes the `config-json` arguments itself. */
  | { readonly direct: string }
  /** The CLI (`main.ts`, a bundle): `config-json` goes first. */
  | { readonly cli: string };

/**
 * The command line of a `config-json` child.
 *
 * @param entry The module to run under `deno run`.
 * @param facts This process.
 * @param args The `config-json` arguments.
 * @returns The executable and its arguments.
 * @example
 * ```ts
 * import { configChildCommand } from "./child_load.ts";
 * configChildCommand({ cli: "file:///w/main.ts" }, {
 *   standalone: true, execPath: "/usr/bin/switchyard", mainModule: "file:///w/main.ts",
 *   cwd: "/", permissionFlags: [],
 * }, ["-"]).args; // ["config-json", "-"]
 * ```
 */
export function configChildCommand(
  entry: ChildEntry,
  facts: ProcessFacts,
  args: readonly string[],
): { command: string; args: string[] } {
  if (facts.standalone) {
    return { command: facts.execPath, args: [CONFIG_JSON_COMMAND, ...args] };
  }
  const own = facts.argv ? parentRunFlags(facts.argv, facts.mainModule, facts.cwd) : undefined;
  const flags = own ?? ["--no-prompt", ...facts.permissionFlags];
  const script = "direct" in entry ? [entry.direct] : [entry.cli, CONFIG_JSON_COMMAND];
  return { command: facts.execPath, args: ["run", ...flags, ...script, ...args] };
}

/**
 * The child's entry: `config_json_main.ts` next to this module when running from source, else
 * the CLI.
 *
 * @param cli The CLI module URL.
 * @param self This module's URL (`import.meta.url`; a bundle's own URL when bundled).
 * @returns The entry.
 * @example
 * ```ts
 * import { childEntry } from "./child_load.ts";
 * childEntry("file:///d/switchyard.js", "file:///d/switchyard.js"); // { cli: "file:///d/switchyard.js" }
 * ```
 */
export function childEntry(cli: string, self: string): ChildEntry {
  return self.endsWith("/router/config/child_load.ts")
    ? { direct: new URL("./config_json_main.ts", self).href }
    : { cli };
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

function processFacts(): ProcessFacts {
  let argv: string[] | undefined;
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0").slice(0, -1);
  } catch {
    argv = undefined; // not Linux, or no read permission for /proc
  }
  const permissionFlags: string[] = [];
  for (const name of PERMISSIONS) {
    try {
      if (Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted") {
        permissionFlags.push(`--allow-${name}`);
      }
    } catch {
      // a permission name this Deno does not know
    }
  }
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    argv,
    cwd: Deno.cwd(),
    permissionFlags,
  };
}

/** The issue `loadConfigFile` reports for a file it cannot read. */
function readIssue(file: string, e: unknown): ConfigIssue {
  const reason = e instanceof Error ? e.message : String(e);
  return {
    file,
    line: 1,
    column: 1,
    path: "",
    message: `cannot read config: ${reason}; ${READ_FIX}`,
  };
}

function childFailure(file: string, message: string): ConfigErr {
  return { ok: false, errors: [{ file, line: 1, column: 1, path: "", message }] };
}

function envInProcess(): boolean {
  try {
    return Deno.env.get(INPROCESS_ENV) === "1";
  } catch {
    return false; // no env permission
  }
}

/**
 * A config loader: a `config-json` child per parse, or in-process (see the module doc).
 *
 * @param opts Entry module, mode, timeout.
 * @returns The loader.
 */
export function configLoader(opts: ConfigLoaderOptions = {}): ConfigLoader {
  const inProcess = opts.inProcess ?? envInProcess();
  const entry = opts.child ??
    childEntry(opts.entry ?? new URL("../../main.ts", import.meta.url).href, import.meta.url);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let facts: ProcessFacts | undefined;

  async function parseInChild(text: string, file: string): Promise<ParseResult> {
    facts ??= processFacts();
    const { command, args } = configChildCommand(entry, facts, ["-", "--name", file]);
    let out: Deno.CommandOutput;
    try {
      const child = new Deno.Command(command, {
        args,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(timeoutMs),
      }).spawn();
      const done = child.output();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(text)).catch(() => {});
      await w.close().catch(() => {});
      out = await done;
    } catch (e: unknown) {
      const reason = e instanceof Error ? e.message : String(e);
      return childFailure(file, `cannot start the config validator (${command}): ${reason}`);
    }
    const stdout = new TextDecoder().decode(out.stdout).trim();
    if (stdout !== "") {
      try {
        const r = decodeConfigJson(stdout) as ParseResult & { file?: string };
        if (r.ok) return { ok: true, config: r.config, warnings: r.warnings };
        return { ok: false, errors: r.errors };
      } catch {
        // reported below with stderr
      }
    }
    const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
    const why = out.signal ? `was killed by ${out.signal}` : `exited with code ${out.code}`;
    return childFailure(
      file,
      `the config validator (${command} ${args.join(" ")}) ${why}: ${lines.at(-1) ?? ""}`,
    );
  }

  async function parse(text: string, file: string): Promise<ParseResult> {
    if (inProcess) {
      const { parseConfig } = await import("./load.ts");
      return parseConfig(text, file);
    }
    return await parseInChild(text, file);
  }

  async function load(path: string): Promise<LoadResult> {
    const file = path === "-" ? "<stdin>" : path;
    let text: string;
    try {
      text = path === "-"
        ? await new Response(Deno.stdin.readable).text()
        : await Deno.readTextFile(path);
    } catch (e: unknown) {
      return { ok: false, errors: [readIssue(file, e)], file, text: "" };
    }
    return { ...(await parse(text, file)), file, text };
  }

  return { mode: inProcess ? "in-process" : "child", load, parse };
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += await w.write(bytes.subarray(off));
}

/**
 * `switchyard config-json FILE|- [--name NAME]`, the child side: load and validate, print one
 * JSON document (`{ok: true, config, warnings, file}` or `{ok: false, errors, file}`, encoded
 * with {@linkcode encodeConfigJson}) on stdout, and exit 0 when valid, 1 when not.
 *
 * @param path The file, or `-` for stdin.
 * @param name The file name to report (default: `path`, `<stdin>` for `-`).
 * @param stdout Where the document goes (default the process's stdout).
 * @returns The exit code.
 */
export async function configJsonCommand(
  path: string,
  name?: string,
  stdout: { write(p: Uint8Array): Promise<number> } = Deno.stdout,
): Promise<number> {
  const { loadConfigFile, parseConfig } = await import("./load.ts");
  let result: ParseResult & { file: string };
  if (name !== undefined) {
    const read = path === "-"
      ? await new Response(Deno.stdin.readable).text().then((t) => ({ t }), (e) => ({ e }))
      : await Deno.readTextFile(path).then((t) => ({ t }), (e) => ({ e }));
    if ("e" in read) {
      result = { ok: false, errors: [readIssue(name, read.e)], file: name };
    } else {
      result = { ...parseConfig(read.t, name), file: name };
    }
  } else {
    const { text: _text, ...r } = await loadConfigFile(path);
    result = r;
  }
  await writeAll(stdout, new TextEncoder().encode(encodeConfigJson(result) + "\n"));
  return result.ok ? 0 : 1;
}
