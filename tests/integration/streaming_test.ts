/**
 * Bodies stream both ways through the real process with flat memory: 1 GB each way with curl,
 * against a bulk upstream in its own process.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT, startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir } from "../support/upstream.ts";

async function startBulk(): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/support/bulk_upstream.ts`],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening (\d+)/.test(text)) {
    const r = await reader.read();
    if (r.done) throw new Error("bulk upstream did not start");
    text += r.value;
  }
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  return { port: Number(/listening (\d+)/.exec(text)![1]), child };
}

async function sh(cmd: string): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: ["-c", cmd],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("streaming: 1 GB down and 1 GB up through the router keep its RSS flat", async () => {
  const bulk = await startBulk();
  const dir = await fsNamerDir({ big: `127.0.0.1 ${bulk.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    const url = `http://${sy.proxy()}`;
    // A 1 GiB file to upload with a content-length (curl -T - from a pipe would be chunked).
    const file = await Deno.makeTempFile();
    await sh(`head -c 1073741824 /dev/zero > ${file}`);
    // Warm up both directions with 256 MiB (V8 frees old buffers in ~50 MB steps), then take
    // the baseline.
    await sh(`curl -s -m 60 -H 'Host: big' '${url}/?mb=256' -o /dev/null`);
    await sh(
      `head -c 268435456 /dev/zero | curl -s -m 60 -H 'Host: big' -H 'content-length: 268435456' -T - -X POST '${url}/'`,
    );
    const base = sy.rss();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, sy.rss())), 100);
    try {
      const t0 = performance.now();
      const down = await sh(
        `curl -s -m 240 -H 'Host: big' '${url}/?mb=1024' -o /dev/null -w '%{http_code} %{size_download}'`,
      );
      const t1 = performance.now();
      assertEquals(down, "200 1073741824");
      const up = await sh(
        `curl -s -m 240 -H 'Host: big' -T ${file} -X POST '${url}/'`,
      );
      const t2 = performance.now();
      assertEquals(JSON.parse(up).received, 1073741824);
      // A chunked upload (no content-length) streams too; 128 MiB keeps the test short.
      const chunked = await sh(
        `head -c 134217728 /dev/zero | curl -s -m 240 -H 'Host: big' -T - -X POST '${url}/'`,
      );
      assertEquals(JSON.parse(chunked).received, 134217728);
      const growth = (peak - base) / 1048576;
      console.log(
        `1 GB down in ${((t1 - t0) / 1000).toFixed(1)} s, 1 GB up in ` +
          `${((t2 - t1) / 1000).toFixed(1)} s; router RSS ${(base / 1048576).toFixed(0)} MB → ` +
          `peak ${(peak / 1048576).toFixed(0)} MB (+${growth.toFixed(1)} MB)`,
      );
      // Flat = bounded and independent of the body size (1 GiB moved, well under 1 GiB kept).
      // V8 frees transferred buffers in ~50 MB steps, so the peak moves by about that much.
      assert(growth < 80, `RSS grew by ${growth.toFixed(1)} MB`);
    } finally {
      clearInterval(sampler);
      await Deno.remove(file);
    }
  } finally {
    await sy.stop();
    bulk.child.kill("SIGTERM");
    await bulk.child.status;
  }
});
