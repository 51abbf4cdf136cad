/**
 * A real DNS server for black-box tests: Debian's `dnsmasq` (package `dnsmasq-base`) run in the
 * foreground on 127.0.0.1 and a free port, answering only from its own records (no upstream, no
 * /etc/hosts). `records` are dnsmasq config lines such as
 * `srv-host=_http._tcp.web.test,a.web.test,8080` and `host-record=a.web.test,127.0.0.1`; add
 * `local=/test/` so unknown names under `.test` get NXDOMAIN (without it dnsmasq answers REFUSED).
 *
 * @module
 */
import { freePort } from "./upstream.ts";

/** The dnsmasq binary, or `undefined` when it is not installed. */
export function dnsmasqPath(): string | undefined {
  for (const p of ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** A running dnsmasq. */
export interface Dnsmasq {
  /** The UDP (and TCP) port it answers on, at 127.0.0.1. */
  readonly port: number;
  /**
   * Start it again (after `stop()`, or stop it first) on the same port with `records`; waits until
   * it answers.
   */
  restart(records: readonly string[]): Promise<void>;
  /** Stop it (idempotent). */
  stop(): Promise<void>;
}

async function answers(port: number, probe: string): Promise<boolean> {
  try {
    await Deno.resolveDns(probe, "A", {
      nameServer: { ipAddr: "127.0.0.1", port },
      signal: AbortSignal.timeout(500),
    });
    return true;
  } catch (e: unknown) {
    // NXDOMAIN/REFUSED come back as NotFound: it is up.
    return e instanceof Deno.errors.NotFound;
  }
}

/**
 * Start dnsmasq serving `records`.
 *
 * @throws Error when dnsmasq is not installed or does not answer within 5 s.
 */
export async function startDnsmasq(records: readonly string[]): Promise<Dnsmasq> {
  const exe = dnsmasqPath();
  if (!exe) throw new Error("dnsmasq is not installed (apt-get install dnsmasq-base)");
  const dir = await Deno.makeTempDir({ prefix: "sy-dnsmasq-" });
  let child: Deno.ChildProcess | undefined;
  let port = 0;

  async function launch(recs: readonly string[], fixedPort?: number): Promise<boolean> {
    port = fixedPort ?? freePort();
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/dnsmasq.conf`, recs.join("\n") + "\n");
    const proc = new Deno.Command(exe!, {
      args: [
        "--keep-in-foreground",
        `--conf-file=${dir}/dnsmasq.conf`,
        `--port=${port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--cache-size=0",
        "--pid-file=",
        ...(Deno.uid() === 0 ? ["--user=root", "--group=root"] : []),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child = proc;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      if (await answers(port, "sy-probe.invalid")) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopChild();
    return false;
  }

  async function stopChild(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c) return;
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
    await c.status;
  }

  let up = false;
  for (let attempt = 0; attempt < 3 && !up; attempt++) up = await launch(records);
  if (!up) throw new Error("dnsmasq did not start");
  return {
    get port() {
      return port;
    },
    async restart(recs) {
      await stopChild();
      if (!(await launch(recs, port))) throw new Error(`dnsmasq did not restart on ${port}`);
    },
    async stop() {
      await stopChild();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
