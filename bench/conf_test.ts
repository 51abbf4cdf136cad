/**
 * The generated configs are valid for the real servers (`nginx -t`, `haproxy -c`).
 */
import { assert } from "../tests/support/assert.ts";
import { haproxyCfg, nginxProxyConf, originNginxConf } from "./conf.ts";
import { haveCommand } from "./servers.ts";

async function check(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assert(r.success, `${cmd} ${args.join(" ")} rejected the config:\n${text}`);
  return text;
}

Deno.test({
  name: "originNginxConf() and nginxProxyConf() pass nginx -t",
  ignore: !(await haveCommand("nginx")),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-conf-" });
    try {
      await Deno.mkdir(`${dir}/www`);
      const files = {
        origin: originNginxConf({
          dir,
          name: "origin",
          listens: ["127.0.0.1:18080", "127.0.0.2:18080"],
          errorListens: ["127.0.0.1:18081"],
        }),
        proxy: nginxProxyConf({ dir, name: "proxy", port: 18090, upstreams: ["127.0.0.1:18080"] }),
        retry: nginxProxyConf({
          dir,
          name: "retry",
          port: 18091,
          upstreams: ["127.0.0.1:18080", "127.0.0.1:18081", "127.0.0.1:1"],
          retry: { readTimeoutMs: 1000 },
        }),
      };
      for (const [name, text] of Object.entries(files)) {
        await Deno.mkdir(`${dir}/${name}-tmp`);
        await Deno.writeTextFile(`${dir}/${name}.conf`, text);
        await check("nginx", [
          "-t",
          "-q",
          "-p",
          `${dir}/`,
          "-e",
          `${dir}/${name}.err`,
          "-c",
          `${dir}/${name}.conf`,
        ]);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "haproxyCfg() passes haproxy -c, with and without retries",
  ignore: !(await haveCommand("haproxy")),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-conf-" });
    try {
      for (const retry of [undefined, { readTimeoutMs: 1000 }]) {
        const file = `${dir}/haproxy.cfg`;
        await Deno.writeTextFile(
          file,
          haproxyCfg({ port: 18091, upstreams: ["127.0.0.1:18080", "127.0.0.1:18081"], retry }),
        );
        await check("haproxy", ["-c", "-q", "-f", file]);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
