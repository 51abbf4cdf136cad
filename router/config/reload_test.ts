import { assertEquals } from "../../tests/support/assert.ts";
import {
  createReloader,
  reloadAdminHandlers,
  type Reloader,
  type ReloaderOptions,
} from "./reload.ts";
import { parseConfig } from "./load.ts";
import { createLogger } from "../../telemetry/log.ts";

const GOOD =
  "routers: [{protocol: http, servers: [{port: 0}], dtab: /svc => /$/inet/127.0.0.1/1;}]\n";
const OTHER =
  "routers: [{protocol: http, servers: [{port: 0}], dtab: /svc => /$/inet/127.0.0.1/2;}]\n";
const BAD = "routers: [{protocol: http, servers: [{port: 0}], bogus: 1}]\n";

/** A reloader of `GOOD` that logs nothing, parses in-process and does not poll unless told to. */
function quietReloader(
  opts: Pick<ReloaderOptions, "path" | "apply"> & Partial<ReloaderOptions>,
): Promise<Reloader> {
  return createReloader({
    text: GOOD,
    log: createLogger({ level: "off" }),
    pollMs: 0,
    parse: (text, file) => Promise.resolve(parseConfig(text, file)),
    ...opts,
  });
}

Deno.test("createReloader(): a rejected text is re-checked on a manual reload; the serving text is unchanged", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  await Deno.writeTextFile(path, GOOD);
  let applied = 0;
  const r = await quietReloader({
    path,
    apply: () => Promise.resolve(void applied++),
  });
  try {
    await Deno.writeTextFile(path, BAD);
    assertEquals((await r.reload("SIGHUP")).outcome, "rejected");
    // Asked again by hand: the same errors, not "unchanged".
    const again = await r.reload("POST /admin/reload");
    assertEquals(again.outcome, "rejected");
    assertEquals(r.status().failures, 2);
    // The watcher's or the poll's look at the same bad text stays quiet.
    assertEquals((await r.reload("poll")).outcome, "unchanged");
    assertEquals(r.status().failures, 2);
    // Restoring the serving text rebuilds nothing.
    await Deno.writeTextFile(path, GOOD);
    const back = await r.reload("SIGHUP");
    assertEquals([back.outcome, applied], ["unchanged", 0]);
    assertEquals(r.status().lastAttempt?.ok, true);
    await Deno.writeTextFile(path, OTHER);
    assertEquals([(await r.reload("SIGHUP")).outcome, applied], ["applied", 1]);
  } finally {
    r.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createReloader(): a config deleted and re-created as it was is serving", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  await Deno.writeTextFile(path, GOOD);
  let applied = 0;
  const r = await quietReloader({
    path,
    apply: () => Promise.resolve(void applied++),
  });
  try {
    await Deno.remove(path);
    assertEquals((await r.reload("file changed")).outcome, "rejected");
    assertEquals(r.status().lastAttempt?.ok, false);
    await Deno.writeTextFile(path, GOOD); // an editor's delete + write of the same text
    assertEquals((await r.reload("file changed")).outcome, "unchanged");
    assertEquals([r.status().lastAttempt?.ok, r.status().lastAttempt?.message, applied], [
      true,
      "the serving config",
      0,
    ]);
  } finally {
    r.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createReloader(): a config in a ConfigMap item directory is followed", async () => {
  // The config is `<volume>/l5d/linkerd.yaml`, through `l5d -> ..data/l5d`: each update writes a
  // new timestamped directory, renames a new `..data` link over the old one, deletes the old one.
  const vol = await Deno.makeTempDir();
  const version = async (v: number, text: string) => {
    await Deno.mkdir(`${vol}/..v${v}/l5d`, { recursive: true });
    await Deno.writeTextFile(`${vol}/..v${v}/l5d/linkerd.yaml`, text);
    await Deno.symlink(`..v${v}`, `${vol}/..data_tmp`);
    await Deno.rename(`${vol}/..data_tmp`, `${vol}/..data`);
    if (v > 1) await Deno.remove(`${vol}/..v${v - 1}`, { recursive: true });
  };
  await version(1, GOOD);
  await Deno.symlink("..data/l5d", `${vol}/l5d`);
  const texts: string[] = [];
  const r = await quietReloader({
    path: `${vol}/l5d/linkerd.yaml`,
    apply: (_config, text) => Promise.resolve(void texts.push(text)),
    debounceMs: 20,
    pollMs: 0, // the watch alone
  });
  try {
    for (const [v, text] of [[2, OTHER], [3, GOOD], [4, OTHER]] as const) {
      await version(v, text);
      const end = Date.now() + 5000;
      while (texts.length < v - 1 && Date.now() < end) await new Promise((f) => setTimeout(f, 20));
      assertEquals(texts.at(-1), text, `update ${v} applied by the watch`);
    }
  } finally {
    r.close();
    await Deno.remove(vol, { recursive: true });
  }
});

Deno.test("createReloader(): an in-place rewrite read while empty is no failure", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  await Deno.writeTextFile(path, GOOD);
  const texts: string[] = [];
  const r = await quietReloader({
    path,
    apply: (_config, text) => Promise.resolve(void texts.push(text)),
    debounceMs: 40,
  });
  try {
    // Truncated, then written 80 ms later: the watch's reload (debounce 40 ms) runs in between.
    const f = await Deno.open(path, { write: true, truncate: true });
    await new Promise((res) => setTimeout(res, 80));
    await f.write(new TextEncoder().encode(OTHER));
    f.close();
    const end = Date.now() + 5000;
    while (texts.length === 0 && Date.now() < end) await new Promise((f) => setTimeout(f, 20));
    assertEquals([texts, r.status().failures], [[OTHER], 0]);
  } finally {
    r.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createReloader(): a dtab file rewritten in place applies once, written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  const dtab = `${dir}/dtab`;
  await Deno.writeTextFile(path, GOOD);
  await Deno.writeTextFile(dtab, "/svc => /$/inet/127.0.0.1/1;\n");
  const seen: string[] = [];
  const r = await quietReloader({
    path,
    apply: async () => void seen.push(await Deno.readTextFile(dtab)),
    debounceMs: 40,
    extraPaths: [dtab],
  });
  try {
    const f = await Deno.open(dtab, { write: true, truncate: true });
    await new Promise((res) => setTimeout(res, 80));
    await f.write(new TextEncoder().encode("/svc => /$/inet/127.0.0.1/2;\n"));
    f.close();
    const end = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < end) await new Promise((f) => setTimeout(f, 20));
    await new Promise((res) => setTimeout(res, 300)); // no second apply follows
    assertEquals(seen, ["/svc => /$/inet/127.0.0.1/2;\n"]);
  } finally {
    r.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reloadAdminHandlers(): a reload asked for before the reloader exists waits for it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cfg.yaml`;
  await Deno.writeTextFile(path, GOOD);
  const ref: { reloader?: Reloader } = {};
  let made = () => {};
  const ready = new Promise<void>((r) => made = r);
  const [post, status] = reloadAdminHandlers(() => ref.reloader, ready);
  // Asked while the admin server already listens and the reloader is still being made.
  const asked = post!.handler(new Request("http://admin/admin/reload", { method: "POST" }));
  const askedStatus = status!.handler(new Request("http://admin/admin/reload"));
  await Deno.writeTextFile(path, OTHER);
  let applied = 0;
  ref.reloader = await quietReloader({
    path,
    apply: () => Promise.resolve(void applied++),
  });
  made();
  try {
    const rsp = await asked;
    assertEquals(rsp.status, 200);
    assertEquals((await rsp.json()).result.outcome, "applied");
    assertEquals(applied, 1);
    assertEquals(typeof (await (await askedStatus).json()).version, "string");
    // Without one ever made (start-up failed), the answer is 503 once `ready` settles.
    const [none] = reloadAdminHandlers(() => undefined, Promise.resolve());
    const refused = await none!.handler(
      new Request("http://admin/admin/reload", { method: "POST" }),
    );
    assertEquals([refused.status, await refused.json()], [503, { error: "not ready" }]);
  } finally {
    ref.reloader.close();
    await Deno.remove(dir, { recursive: true });
  }
});
