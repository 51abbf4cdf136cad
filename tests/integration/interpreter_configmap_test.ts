/**
 * Black-box tests of the `io.l5d.k8s.configMap` interpreter (L1 `interpreter.md` "Kubernetes
 * ConfigMap", `interpreter/k8s/.../ConfigMapInterpreterInitializer.scala`) against the fake
 * Kubernetes API (real HTTP, real chunked watches): the router binds with the ConfigMap key's
 * dtab, then its own `dtab` (ConfiguredDtabNamer: `configuredDtab ++ dtab`, so the router's
 * entries win); an edit applies live; a key that does not parse keeps the last good dtab (logged
 * with its line and column); a missing ConfigMap, a missing key and a deleted ConfigMap give the
 * empty dtab; an API that is down at start keeps names waiting (up to `bindingTimeoutMs`);
 * `/delegator.json` and `/<router>/interpreter_state/io.l5d.k8s.configmap.json` show the
 * ConfigMap's dentries; `check` validates the keys.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually } from "../support/upstream.ts";
import { answers, inet, nameOf, routedUpstreams } from "../support/routed.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";

function config(apiPort: number, pinnedPort: number, extra = ""): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/pinned => /$/inet/127.0.0.1/${pinnedPort};
  interpreter:
    kind: io.l5d.k8s.configMap
    experimental: true
    host: 127.0.0.1
    port: ${apiPort}
    namespace: l5d
    name: dtabs
    filename: outgoing.dtab${extra}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

function fixture() {
  const api = startFakeK8sApi();
  const ups = routedUpstreams();
  return {
    ...ups,
    api,
    async close() {
      await ups.close();
      await api.close();
    },
  };
}

async function delegator(sy: Running, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(
    `${sy.admin}/delegator.json?namespace=outgoing&path=${encodeURIComponent(path)}`,
  );
  return { status: r.status, body: await r.text() };
}

Deno.test("interpreter io.l5d.k8s.configMap: routes with the ConfigMap's dtab, follows edits live, the router's dtab wins", async () => {
  const f = fixture();
  f.api.setConfigMap("l5d", "dtabs", {
    "outgoing.dtab": `/svc/web => ${inet(f.a.port)};\n/svc/pinned => ${inet(f.a.port)};`,
    "other.dtab": `/svc/web => ${inet(f.b.port)};`,
  });
  const sy = await startSwitchyard(config(f.api.port, f.pinned.port));
  try {
    await answers(sy, "web", "a");
    // The router's own dtab comes after the ConfigMap's, so it wins (`configuredDtab ++ dtab`).
    assertEquals(await nameOf(sy, "pinned"), "pinned");
    // Read through the API: the one-name list of the ConfigMap, then a watch from its version.
    assert(
      f.api.requests.some((r) =>
        r.startsWith("GET /api/v1/namespaces/l5d/configmaps?") &&
        r.includes("metadata.name%3Ddtabs")
      ),
      f.api.requests.join("\n"),
    );
    // The delegator shows the ConfigMap's dentry first, then the router's.
    const d = await delegator(sy, "/svc/web");
    assertEquals(d.status, 200, d.body);
    assertStringIncludes(d.body, `"dentry":{"prefix":"/svc/web","dst":"${inet(f.a.port)}"}`);
    const p = await delegator(sy, "/svc/pinned");
    assertStringIncludes(p.body, `"dst":"${inet(f.pinned.port)}"`);
    // An edit applies without a restart; no request fails meanwhile.
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      if (i === 10) {
        f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.b.port)};` });
      }
      seen.add(await nameOf(sy, "web"));
    }
    await answers(sy, "web", "b");
    assertEquals([...seen].filter((n) => n !== "a" && n !== "b"), []);
    // The CLI reads the same ConfigMap through the API.
    const cli = await runCli("dtab", sy.configPath, "/svc/web");
    assertEquals(cli.code, 0, cli.stdout + cli.stderr);
    assertStringIncludes(cli.stdout, `binds to /$/inet/127.0.0.1/${f.b.port}`);
    const state = await (await fetch(
      `${sy.admin}/outgoing/interpreter_state/io.l5d.k8s.configmap.json`,
    )).json();
    assertEquals(state.state.value, `/svc/web=>${inet(f.b.port)}`);
    assertEquals(state.state.running, true);
    assertEquals(state.watch.streaming, true);
    assertEquals(
      (await fetch(`${sy.admin}/nope/interpreter_state/io.l5d.k8s.configmap.json`)).status,
      404,
    );
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.k8s.configMap: a bad dtab keeps the last good one; missing key, missing and deleted ConfigMap give the empty dtab", async () => {
  const f = fixture();
  const sy = await startSwitchyard(config(f.api.port, f.pinned.port));
  try {
    // No ConfigMap yet: Linkerd assumes it will be created and binds with the empty dtab.
    await answers(sy, "pinned", "pinned");
    assertStringIncludes(await nameOf(sy, "web"), "502 No hosts are available for /svc/web");
    assert(sy.logs.some((l) => l.includes("doesn't exist, assuming it will be created")));
    // Created: routing follows.
    f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.a.port)};` });
    await answers(sy, "web", "a");
    // A dtab that does not parse: the last good one stays, and the log says where it is wrong.
    f.api.setConfigMap("l5d", "dtabs", {
      "outgoing.dtab": `/svc/web => ${inet(f.b.port)};\n/a => ;`,
    });
    assert(
      await eventually(() => sy.logs.some((l) => l.includes("error reading dtab 'outgoing.dtab'"))),
      "logged the bad dtab",
    );
    const bad = sy.logs.find((l) => l.includes("error reading dtab"))!;
    assertStringIncludes(bad, "l5d/dtabs/outgoing.dtab:2:7");
    assertEquals(await nameOf(sy, "web"), "a");
    // The key removed: the empty dtab (a warning), as Linkerd's getDtab.
    f.api.setConfigMap("l5d", "dtabs", { "another.dtab": `/svc/web => ${inet(f.b.port)};` });
    await answers(
      sy,
      "web",
      "502 No hosts are available for /svc/web, Dtab.base=[/svc/pinned=>/$/inet/127.0.0.1/" +
        f.pinned.port + "], Dtab.local=[]. Remote Info: Not Available",
    );
    assert(
      sy.logs.some((l) =>
        l.includes("dtab at outgoing.dtab in k8s ConfigMap dtabs did not exist!")
      ),
    );
    f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.b.port)};` });
    await answers(sy, "web", "b");
    // Deleted: the empty dtab again; the router's own dentries keep working.
    f.api.remove("configmaps", "l5d", "dtabs");
    await answers(
      sy,
      "web",
      `502 No hosts are available for /svc/web, Dtab.base=[/svc/pinned=>/$/inet/127.0.0.1/${f.pinned.port}], Dtab.local=[]. Remote Info: Not Available`,
    );
    assert(sy.logs.some((l) => l.includes("k8s ConfigMap dtabs was deleted!")));
    assertEquals(await nameOf(sy, "pinned"), "pinned");
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.k8s.configMap: names wait for an API that is down at start; a later outage keeps the dtab", async () => {
  const f = fixture();
  f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.a.port)};` });
  await f.api.down();
  const sy = await startSwitchyard(
    config(f.api.port, f.pinned.port).replace(
      "  servers:",
      "  bindingTimeoutMs: 1500\n  servers:",
    ),
  );
  try {
    // Pending (Linkerd retries its GET forever): the binding times out, 503.
    const r = await curl(["-H", "Host: web", `http://${sy.proxy("outgoing")}/`]);
    assertEquals(r.status, 503, r.body);
    assertStringIncludes(r.body, "binding timed out after 1500 ms for /svc/web");
    const d = await delegator(sy, "/svc/web");
    assertEquals(d.status, 503, d.body);
    // Once the API is back (the GET is retried with backoff), names bind with the ConfigMap.
    f.api.up();
    await answers(sy, "web", "a");
    // Down again: the dtab in use stays.
    await f.api.down();
    assertEquals(await nameOf(sy, "web"), "a");
    f.api.up();
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.k8s.configMap: a request made while the API is down is answered once it is back", async () => {
  const f = fixture();
  f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.a.port)};` });
  await f.api.down();
  const sy = await startSwitchyard(config(f.api.port, f.pinned.port)); // bindingTimeoutMs 10 s
  try {
    const t0 = performance.now();
    const waiting = nameOf(sy, "web");
    await new Promise((r) => setTimeout(r, 300));
    f.api.up();
    assertEquals(await waiting, "a");
    assert(performance.now() - t0 >= 300, "it waited for the API");
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.k8s.configMap: interpreter transformers apply; a reload keeps the ConfigMap's dtab with the API down", async () => {
  const f = fixture();
  f.api.setConfigMap("l5d", "dtabs", { "outgoing.dtab": `/svc/web => ${inet(f.a.port)};` });
  const port = `\n    transformers: [{kind: io.l5d.port, port: ${f.b.port}}]`;
  const sy = await startSwitchyard(config(f.api.port, f.pinned.port, port));
  try {
    // The ConfigMap names a; the interpreter's io.l5d.port transformer sends it to b's port.
    await answers(sy, "web", "b");
    const d = await delegator(sy, "/svc/web");
    assertStringIncludes(d.body, `"dentry":{"prefix":"/svc/web","dst":"${inet(f.a.port)}"}`);
    assertStringIncludes(d.body, `"id":"/%/io.l5d.port/${f.b.port}/$/inet/127.0.0.1/${f.a.port}"`);
    // A reload (the router's dtab changed) builds a new snapshot; it keeps the ConfigMap's watch
    // and dtab, even with the API down meanwhile.
    await f.api.down();
    await Deno.writeTextFile(
      sy.configPath,
      config(f.api.port, f.pinned.port).replace("/svc/pinned =>", "/svc/pinned2 =>"),
    );
    const r = await fetch(`${sy.admin}/admin/reload`, { method: "POST" });
    assertEquals(r.status, 200, await r.text());
    await answers(sy, "pinned2", "pinned");
    assertEquals(await nameOf(sy, "web"), "a"); // no transformer in the new config
    f.api.up();
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.k8s.configMap: check validates the keys", async () => {
  const bad = async (yaml: string) => {
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, yaml);
    const r = await runCli("check", file);
    await Deno.remove(file);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  const base = config(8001, 1);
  const good = await bad(base);
  assertEquals(good.code, 0, good.out);
  assertStringIncludes(good.out, "dtab from ConfigMap l5d/dtabs key outgoing.dtab, then 1 dentry");
  const noExp = await bad(base.replace("    experimental: true\n", ""));
  assertEquals(noExp.code, 1, noExp.out);
  assertStringIncludes(noExp.out, "routers[0].interpreter.experimental");
  assertStringIncludes(noExp.out, "io.l5d.k8s.configMap is experimental; set experimental: true");
  const noName = await bad(base.replace("    name: dtabs\n", ""));
  assertEquals(noName.code, 1, noName.out);
  assertStringIncludes(noName.out, "routers[0].interpreter.name");
  const noFile = await bad(base.replace("    filename: outgoing.dtab\n", ""));
  assertStringIncludes(noFile.out, "routers[0].interpreter.filename");
  const typo = await bad(base.replace("    namespace: l5d", "    namspace: l5d"));
  assertEquals(typo.code, 1, typo.out);
  assertStringIncludes(typo.out, "namspace");
  assert(/:\d+:\d+/.test(typo.out), typo.out);
});
