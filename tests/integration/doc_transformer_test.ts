/**
 * Linkerd 1.x `linkerd/docs/transformer.md` against the real process: the per-host transformers
 * `io.l5d.port` and `io.l5d.specificHost` through traffic, and "Transformations are applied
 * sequentially in the order they appear". Covered elsewhere: `io.l5d.localhost`
 * (`linkerd_namers_test.ts`), `io.l5d.k8s.daemonset` / `io.l5d.k8s.localnode`
 * (`linkerd_k8s_namers_test.ts`, `k8s_test.ts`), `io.l5d.replace` / `io.l5d.const`
 * (`transformers_test.ts`). Ids are Linkerd's: `/%` + the transformer's prefix (its
 * `defaultPrefix`, `/io.l5d.port/<port>` and `/io.l5d.specificHost`; Linkerd's
 * `TransformerConfig.prefix`), the first transformer's innermost (`InterpreterConfig.interpreter`
 * folds them left, each wrapping the last).
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream, type Upstream } from "../support/upstream.ts";

function routerWith(dir: string, transformers: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  interpreter:
    transformers:
${transformers}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

interface Hit {
  status: number;
  err?: string;
  name?: string;
  client?: string;
}

async function hit(sy: Running, host: string): Promise<Hit> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  if (r.status !== 200) return { status: r.status, err: r.headers.get("l5d-err") ?? r.body };
  const j = JSON.parse(r.body);
  return { status: 200, name: j.name as string, client: j.headers["l5d-dst-client"] as string };
}

/** An upstream on another loopback address (127.0.0.2), answering its name and headers. */
function upstreamOn(hostname: string, name: string): Upstream & { hostname: string } {
  const server = Deno.serve(
    { hostname, port: 0, onListen() {} },
    (req) => Response.json({ name, headers: Object.fromEntries(req.headers) }),
  );
  const port = (server.addr as Deno.NetAddr).port;
  return {
    hostname,
    port,
    fsLine: `${hostname} ${port}`,
    seen: [],
    close: () => server.shutdown(),
  };
}

Deno.test("docs transformer: io.l5d.port replaces the port of every address", async () => {
  const up = startUpstream("up");
  // Both addresses list a port nothing listens on; the transformer sends them to `up`'s port.
  const dir = await fsNamerDir({ web: "127.0.0.1 1\n127.0.0.1 2\n" });
  const sy = await startSwitchyard(
    routerWith(dir, `    - kind: io.l5d.port\n      port: ${up.port}`),
  );
  try {
    for (let i = 0; i < 4; i++) {
      assertEquals(await hit(sy, "web"), {
        status: 200,
        name: "up",
        client: `/%/io.l5d.port/${up.port}/#/io.l5d.fs/web`,
      });
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("docs transformer: io.l5d.specificHost keeps the addresses of that host only (an IP, or localhost)", async () => {
  const one = startUpstream("one"); // 127.0.0.1
  const two = upstreamOn("127.0.0.2", "two");
  const dir = await fsNamerDir({ web: `${one.fsLine}\n${two.fsLine}\n`, elsewhere: two.fsLine });
  const cases: [string, string][] = [["127.0.0.2", "two"], ["localhost", "one"], [
    "127.0.0.1",
    "one",
  ]];
  for (const [host, name] of cases) {
    const sy = await startSwitchyard(
      routerWith(dir, `    - kind: io.l5d.specificHost\n      host: ${host}`),
    );
    try {
      for (let i = 0; i < 6; i++) {
        assertEquals(await hit(sy, "web"), {
          status: 200,
          name,
          client: "/%/io.l5d.specificHost/#/io.l5d.fs/web",
        }, `host ${host}`);
      }
      if (name === "one") {
        // No address of `elsewhere` is on this host: nothing to send to.
        const r = await hit(sy, "elsewhere");
        assertEquals(r.status, 502, JSON.stringify(r));
      }
    } finally {
      await sy.stop();
    }
  }
  await one.close();
  await two.close();
});

Deno.test("docs transformer: transformers apply sequentially in the order they appear", async () => {
  const named = startUpstream("named");
  const constant = startUpstream("constant");
  const ported = startUpstream("ported");
  const dir = await fsNamerDir({ web: named.fsLine + "\n" });
  const konst = `    - kind: io.l5d.const\n      path: /$/inet/127.0.0.1/${constant.port}`;
  const port = `    - kind: io.l5d.port\n      port: ${ported.port}`;
  try {
    // port, then const: const replaces whatever the port transformer made.
    let sy = await startSwitchyard(routerWith(dir, `${port}\n${konst}`));
    try {
      assertEquals(await hit(sy, "web"), {
        status: 200,
        name: "constant",
        client: `/%/io.l5d.const/$/inet/127.0.0.1/${constant.port}`,
      });
    } finally {
      await sy.stop();
    }
    // const, then port: the port transformer rewrites the constant's address; its prefix is
    // outermost.
    sy = await startSwitchyard(routerWith(dir, `${konst}\n${port}`));
    try {
      assertEquals(await hit(sy, "web"), {
        status: 200,
        name: "ported",
        client: `/%/io.l5d.port/${ported.port}/%/io.l5d.const/$/inet/127.0.0.1/${constant.port}`,
      });
    } finally {
      await sy.stop();
    }
  } finally {
    await named.close();
    await constant.close();
    await ported.close();
  }
  assertEquals(named.seen.length, 0);
});

Deno.test("docs transformer: required keys are refused when missing; the k8s daemonset defaults load", async () => {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  const run = async (t: string) => {
    await Deno.writeTextFile(
      path,
      `routers:\n- protocol: http\n  interpreter:\n    transformers:\n    - ${t}\n` +
        `  servers: [{port: 0}]\n`,
    );
    const r = await runCli("check", path);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  try {
    const missing: [string, string][] = [
      ["kind: io.l5d.specificHost", "host"],
      ["kind: io.l5d.port", "port"],
      ["kind: io.l5d.replace", "path"],
      ["kind: io.l5d.const", "path"],
      ["{kind: io.l5d.k8s.daemonset, service: l5d, port: incoming}", "namespace"],
      ["{kind: io.l5d.k8s.daemonset, namespace: default, port: incoming}", "service"],
      ["{kind: io.l5d.k8s.daemonset, namespace: default, service: l5d}", "port"],
    ];
    for (const [t, key] of missing) {
      const r = await run(t);
      assertEquals(r.code, 1, `${t}: ${r.out}`);
      assertStringIncludes(r.out, `routers[0].interpreter.transformers[0].${key}`, t);
    }
    for (
      const t of [
        "kind: io.l5d.localhost",
        "{kind: io.l5d.k8s.daemonset, namespace: default, service: l5d, port: incoming}",
        "{kind: io.l5d.k8s.daemonset, namespace: default, service: l5d, port: incoming, " +
        "k8sHost: localhost, k8sPort: 8001, hostNetwork: true}",
        "{kind: io.l5d.k8s.localnode}",
        "{kind: io.l5d.k8s.localnode, hostNetwork: true}",
      ]
    ) {
      const r = await run(t);
      assert(r.code === 0, `${t}: ${r.out}`);
    }
  } finally {
    await Deno.remove(path);
  }
});
