/**
 * The `switchyard` command line.
 *
 *   switchyard serve CONFIG     run the routers in a Linkerd-style YAML/JSON config (`-` = stdin)
 *   switchyard CONFIG           same, Linkerd style
 *   switchyard demo             the embedded hello/world demo
 *   switchyard check CONFIG     validate; every error with file:line:column
 *   switchyard dtab CONFIG PATH how a name delegates (router/cli/)
 *   switchyard routes CONFIG URL which route names a request (router/cli/)
 *   switchyard top              live success rate, RPS and latency of a running instance
 *
 * Hidden: `switchyard config-json CONFIG|- [--name FILE]` prints the validated config as JSON;
 * `serve`, `demo` and hot reload run it as a child process so that the serving process never
 * loads the config parser (zod, yaml; issue 6). `check` and the parser load only for the
 * commands that need them.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { VERSION } from "./version.ts";
import { createLogger, type LogFormat, type LogLevel } from "./telemetry/log.ts";
import { runDemo, runServe } from "./router/run.ts";
import { addOperatorCommands } from "./router/cli/commands.ts";
import {
  CONFIG_JSON_COMMAND,
  configJsonCommand,
  configLoader,
} from "./router/config/child_load.ts";
import { parseWorkers } from "./router/workers/options.ts";

interface GlobalOpts {
  logLevel: LogLevel;
  logFormat: LogFormat;
  workers?: number;
}

function workersOption(): Option {
  return new Option(
    "--workers <n>",
    "workers sharing each router port (SO_REUSEPORT, Linux): a number or auto (one per core)",
  ).argParser((v: string) => {
    try {
      return parseWorkers(v);
    } catch (e: unknown) {
      throw new InvalidArgumentError((e as Error).message);
    }
  });
}

function serveWorkers(g: GlobalOpts, own?: number) {
  const workers = own ?? g.workers ?? 1;
  return workers > 1 ? { workers, logLevel: g.logLevel, logFormat: g.logFormat } : undefined;
}

let stdoutClosed = false;

/** One line to stdout; a reader that went away (`check … | head -1`) ends the output quietly. */
function out(line: string): void {
  if (stdoutClosed) return;
  const bytes = new TextEncoder().encode(line + "\n");
  try {
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  } catch (e: unknown) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    stdoutClosed = true;
  }
}

/** Build the CLI program (exported for tests). */
export function program(): Command {
  // The child that validates configs runs this module (a bundle: the bundle) again.
  const loader = () => configLoader({ entry: import.meta.url });
  const p = new Command("switchyard")
    .description(
      "Switchyard: a Linkerd-1.x-compatible HTTP router and service-mesh proxy for Deno.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("--log-level <level>", "log level").choices([
        "debug",
        "info",
        "warn",
        "error",
        "off",
      ])
        .default("info"),
    )
    .addOption(
      new Option("--log-format <format>", "log line format").choices(["text", "json"]).default(
        "text",
      ),
    )
    .addOption(workersOption())
    .argument("[config]", "config file (YAML or JSON; - for stdin): same as `serve CONFIG`")
    .showHelpAfterError()
    .action(async (config: string | undefined, _o, cmd: Command) => {
      if (!config) {
        cmd.help();
        return;
      }
      const g = cmd.opts<GlobalOpts>();
      exitWhenStopped(
        await runServe(
          config,
          createLogger({ level: g.logLevel, format: g.logFormat }),
          serveWorkers(g),
          loader(),
        ),
      );
    });

  p.command("serve")
    .description("run the routers in CONFIG")
    .argument("<config>", "config file (YAML or JSON); - reads stdin")
    .addOption(workersOption())
    .addHelpText(
      "after",
      "\nExamples:\n  switchyard serve linkerd.yaml\n" +
        "  switchyard serve --workers auto linkerd.yaml\n" +
        "  cat linkerd.yaml | switchyard serve -\n",
    )
    .action(async (config: string, o: { workers?: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      exitWhenStopped(
        await runServe(
          config,
          createLogger({ level: g.logLevel, format: g.logFormat }),
          serveWorkers(g, o.workers),
          loader(),
        ),
      );
    });

  p.command("demo")
    .description("run the embedded hello/world demo: two sample apps and an `outgoing` router")
    .option("--router-port <port>", "outgoing router port", "4140")
    .option("--admin-port <port>", "admin server port", "9990")
    .option("--hello-port <port>", "hello app port", "7777")
    .option("--world-port <port>", "world app port", "7778")
    .option("--ip <ip>", "address everything listens on", "127.0.0.1")
    .addHelpText(
      "after",
      "\nExamples:\n  switchyard demo\n  switchyard demo --router-port 4141 --admin-port 9991\n" +
        "\nThen try:\n  http_proxy=127.0.0.1:4140 curl -s http://hello\n  curl -s 127.0.0.1:9990/admin/ping\n",
    )
    .action(async (o: Record<string, string>, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const log = createLogger({ level: g.logLevel, format: g.logFormat });
      if ((g.workers ?? 1) > 1) {
        log.warn("the demo runs one worker: --workers applies to serve", { workers: g.workers });
      }
      exitWhenStopped(
        await runDemo(
          {
            ip: o.ip ?? "127.0.0.1",
            routerPort: Number(o.routerPort),
            adminPort: Number(o.adminPort),
            helloPort: Number(o.helloPort),
            worldPort: Number(o.worldPort),
          },
          log,
          out,
          loader(),
        ),
      );
    });

  p.command("check")
    .description(
      "validate CONFIG and exit 0, or print every error (file:line:column key: message) and exit 1",
    )
    .argument("<config>", "config file (YAML or JSON)")
    .addHelpText(
      "after",
      "\nExamples:\n  switchyard check linkerd.yaml\n  cat linkerd.yaml | switchyard check -\n\n" +
        "Also warns about unreachable dentries, names that bind nowhere, odd weights and unknown\n" +
        "namers, and prints each router's dtab with its compiled services.\n",
    )
    .action(async (config: string) => {
      const { checkCommand } = await import("./router/config/check.ts");
      Deno.exitCode = await checkCommand(config, out);
    });

  p.command(CONFIG_JSON_COMMAND, { hidden: true })
    .description("print CONFIG validated, as one JSON document (used by serve and reload)")
    .argument("<config>", "config file (YAML or JSON); - reads stdin")
    .option("--name <file>", "the file name to report in errors (for stdin)")
    .action(async (config: string, o: { name?: string }) => {
      Deno.exitCode = await configJsonCommand(config, o.name);
    });

  addOperatorCommands(p); // issue 5: dtab, routes, top

  // `switchyard help [command]`, as git and npm have it: the command's help with its examples.
  p.command("help")
    .description("show the help of a command (or of switchyard)")
    .argument("[command]", "a command: serve, demo, check, dtab, routes, top")
    .addHelpText("after", "\nExamples:\n  switchyard help\n  switchyard help dtab\n")
    .action((name: string | undefined) => {
      if (name === undefined) return p.outputHelp();
      const c = p.commands.find((x) => x.name() === name && name !== CONFIG_JSON_COMMAND);
      if (c) return c.outputHelp();
      console.error(`error: unknown command '${name}'`);
      console.error("  fix: run `switchyard --help` for the commands");
      Deno.exitCode = 2;
    });
  p.addHelpText(
    "after",
    `
Examples:
  switchyard demo                           # the hello/world demo on 127.0.0.1:4140
  switchyard serve linkerd.yaml             # run the routers of a Linkerd 1.x config
  switchyard linkerd.yaml                   # the same, Linkerd-style
  switchyard check linkerd.yaml             # validate and lint; errors as file:line:column
  switchyard dtab linkerd.yaml /svc/hello   # the delegation tree of a name
  switchyard help top                       # a command's help and examples
`,
  );

  // Issue 5: a usage error is one clear line plus the fix, not the error buried above the help.
  p.showHelpAfterError("  fix: run `switchyard --help` for the commands and options");
  for (const c of p.commands) {
    c.showHelpAfterError(`  fix: run \`switchyard ${c.name()} --help\` for usage and examples`);
    // dtab, routes and top document exit status 2 for bad input: a usage error is bad input.
    if (["dtab", "routes", "top"].includes(c.name())) {
      c.exitOverride((e) => Deno.exit(e.exitCode === 0 ? 0 : 2));
    }
  }
  return p;
}

/**
 * End the process once `serve` or `demo` has shut down, with its exit code: timers still armed
 * (a failure-accrual backoff of up to 5 min, a namer's retry) would otherwise keep it alive
 * after SIGTERM and past its `shutdownGraceMs`.
 */
function exitWhenStopped(code: number): never {
  Deno.exit(code);
}

/** Whether this runs in a Web Worker: a `--workers` worker of the single-file bundle. */
function inWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
}

if (import.meta.main) {
  // The bundle is one module, so its workers run it too (router/workers/pool.ts: workerEntry).
  if (inWorker()) await import("./router/workers/worker_main.ts");
  else await program().parseAsync(Deno.args, { from: "user" });
}
