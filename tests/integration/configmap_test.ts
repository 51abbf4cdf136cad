/**
 * Kubernetes ConfigMap volumes, updated as kubelet's atomic writer does (`..data` swap), against
 * the real process: the config file, an `io.l5d.fs` rootDir and an interpreter's `dtabFile` pick
 * up each update without a failed request, a bad config keeps the old one serving, and the hidden
 * `..data` / `..2026_…` entries are never services. Also a ConfigMap item directory
 * (`items[].path: disco/web`, `disco -> ..data/disco`) as the rootDir and the config's directory.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { configMapVolume } from "../support/configmap.ts";

/** The upstream's name behind `host`, else `<status> <l5d-err>`. */
async function nameOf(proxy: string, host: string): Promise<string> {
  const r = await curl(["-H", `Host: ${host}`, `http://${proxy}/`]);
  if (r.status === 200) return JSON.parse(r.body).name;
  return `${r.status} ${decodeURIComponent((r.headers.get("l5d-err") ?? "").replace(/\+/g, " "))}`;
}

/** Milliseconds until `host` answers `want` (deadline 10 s: then throws). */
async function applied(proxy: string, host: string, want: string): Promise<number> {
  const t0 = performance.now();
  const ok = await eventually(async () => (await nameOf(proxy, host)) === want, 10_000);
  assert(ok, `${host} never answered ${want}: ${await nameOf(proxy, host)}`);
  return Math.round(performance.now() - t0);
}

/** Run `update` while 200 sequential requests to `host` go on; the answers none may give. */
async function failuresDuring(
  proxy: string,
  host: string,
  update: () => Promise<void>,
): Promise<string[]> {
  const bad: string[] = [];
  let running: Promise<void> | undefined;
  for (let i = 0; i < 200; i++) {
    if (i === 20) running = update();
    const n = await nameOf(proxy, host);
    if (!/^[a-z]$/.test(n)) bad.push(n);
  }
  await running;
  return bad;
}

function config(root: string, web: string): string {
  return `admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${root}}]
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/web => /svc/${web};
  servers: [{port: 0}]
`;
}

Deno.test("configmap: the config follows updates; a bad one keeps the old serving", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const c = startUpstream("c");
  const root = await fsNamerDir({ a: a.fsLine, b: b.fsLine, c: c.fsLine });
  const cm = await configMapVolume({ "linkerd.yaml": config(root, "a") });
  const path = `${cm.dir}/linkerd.yaml`;
  const sy = await startSwitchyard(config(root, "a"), { configPath: path });
  const px = sy.proxy();
  const lastAttempt = async () =>
    (await (await fetch(`${sy.admin}/admin/reload`)).json()).lastAttempt;
  try {
    assertEquals(await nameOf(px, "web"), "a");
    const bad = await failuresDuring(px, "web", async () => {
      await cm.update({ "linkerd.yaml": config(root, "b") });
      console.log(`config update applied in ${await applied(px, "web", "b")} ms`);
    });
    assertEquals(bad, [], "no request failed during the update");
    // A bad version: the old config keeps serving and the error names the file, line and column.
    await cm.update({ "linkerd.yaml": config(root, "c") + "  servers: [{port: 0\n" });
    assert(await eventually(async () => (await lastAttempt())?.ok === false, 10_000));
    const err = (await lastAttempt()).errors[0];
    assertEquals([err.file, typeof err.line, typeof err.column], [path, "number", "number"]);
    assertEquals(await nameOf(px, "web"), "b");
    await cm.update({ "linkerd.yaml": config(root, "c") });
    console.log(`next good update applied in ${await applied(px, "web", "c")} ms`);
    assertEquals((await lastAttempt()).ok, true);
  } finally {
    await sy.stop();
    for (const u of [a, b, c]) await u.close();
    await cm.remove();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("configmap: an fs rootDir adds, changes, removes services; ..data is none", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const cm = await configMapVolume({ web: a.fsLine });
  const sy = await startSwitchyard(`admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${cm.dir}}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  const px = sy.proxy();
  const admin = async (p: string) => await (await fetch(`${sy.admin}${p}`)).text();
  try {
    assertEquals(await nameOf(px, "web"), "a");
    const bad = await failuresDuring(px, "web", async () => {
      await cm.update({ web: b.fsLine });
      console.log(`endpoint change applied in ${await applied(px, "web", "b")} ms`);
    });
    assertEquals(bad, [], "no request failed during the update");
    await cm.update({ web: b.fsLine, api: a.fsLine });
    console.log(`new service applied in ${await applied(px, "api", "a")} ms`);
    assertEquals(JSON.parse(await admin("/bound-names.json")), [
      "/#/io.l5d.fs/api",
      "/#/io.l5d.fs/web",
    ]);
    await cm.update({ web: b.fsLine });
    assert(
      await eventually(async () => (await nameOf(px, "api")).startsWith("502 No hosts"), 10_000),
      `a removed service has no hosts, as in Linkerd: ${await nameOf(px, "api")}`,
    );
    assertEquals(JSON.parse(await admin("/bound-names.json")), ["/#/io.l5d.fs/web"]);
    const tree = await admin("/delegator.json?namespace=outgoing&path=/svc/..data/web");
    assertEquals(JSON.parse(tree).delegate.type, "neg", "writer internals are no names");
    const clients = JSON.parse(await admin("/client_state.json"));
    assertEquals(clients["/#/io.l5d.fs/web"].addresses, [`127.0.0.1:${b.port}`]);
    assert(!Object.keys(clients).some((k) => k.includes("..")), Object.keys(clients).join());
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
    await cm.remove();
  }
});

Deno.test("configmap: item directories hold the config, the dtabFile and the rootDir", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const cm = await configMapVolume({});
  const yaml = (www: string) =>
    `admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${cm.dir}/disco}]
routers:
- protocol: http
  label: outgoing
  interpreter: {kind: io.l5d.fs, dtabFile: ${cm.dir}/l5d/dtab}
  dtab: /svc/www => /svc/${www};
  servers: [{port: 0}]
`;
  const update = (www: string, web: string, api: string) =>
    cm.update({
      "l5d/linkerd.yaml": yaml(www),
      "l5d/dtab": `/svc => /#/io.l5d.fs;\n/svc/api => /svc/${api};\n`,
      "disco/web": web,
      "disco/other": b.fsLine,
    });
  await update("web", a.fsLine, "web");
  const sy = await startSwitchyard(yaml("web"), { configPath: `${cm.dir}/l5d/linkerd.yaml` });
  const px = sy.proxy();
  try {
    assertEquals(await nameOf(px, "www"), "a");
    // The fs namer follows `disco -> ..data/disco` by its watch (the 2 s poll is the fallback).
    const fsTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [up, name] = i % 2 === 0 ? [b, "b"] : [a, "a"];
      await update("web", up.fsLine, "web");
      fsTimes.push(await applied(px, "web", name));
    }
    fsTimes.sort((x, y) => x - y);
    console.log(`rootDir item directory: apply ms ${fsTimes.join(" ")}`);
    assert(fsTimes[3]! < 1000, `the watch, not the 2 s poll, applied them: ${fsTimes}`);
    // The config and the dtabFile in `l5d -> ..data/l5d` (web is a now, other is b).
    assertEquals(await nameOf(px, "api"), "a");
    await update("other", a.fsLine, "web");
    console.log(`config item directory: applied in ${await applied(px, "www", "b")} ms`);
    await update("other", a.fsLine, "other");
    console.log(`dtabFile item directory: applied in ${await applied(px, "api", "b")} ms`);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
    await cm.remove();
  }
});
