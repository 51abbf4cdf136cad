/**
 * L1 `linkerd/docs/announcer.md` against the real process. Announcers are refused on purpose
 * (README, Known differences): the page's `io.l5d.serversets` block, with every key it lists
 * (`prefix`, `zkAddrs`, `pathPrefix`), stops `serve` and fails `check` with an error naming the
 * kind at its line:column, in YAML and in JSON. A server's `announce` alone is accepted (a lint
 * warning; admin_endpoints_test.ts), and an empty `announcers` list is fine.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";

const ANNOUNCING = `admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers:
  - port: 0
    ip: 127.0.0.1
    announce: [/#/io.l5d.serversets/hello]
  announcers:
  - kind: io.l5d.serversets
    prefix: /io.l5d.serversets
    zkAddrs:
    - host: 127.0.0.1
      port: 2181
    pathPrefix: /discovery
`;

Deno.test("docs announcer: serve refuses io.l5d.serversets, naming the kind at its line:column", async () => {
  const err = await startSwitchyard(ANNOUNCING).then(
    async (sy) => {
      await sy.stop();
      return undefined;
    },
    (e: Error) => e.message,
  );
  assert(err !== undefined, "the process did not start");
  assertStringIncludes(
    err,
    ":10:11: routers[0].announcers[0].kind: io.l5d.serversets is not supported",
  );
});

Deno.test("docs announcer: check refuses each announcer kind at its line:column (YAML and JSON)", async () => {
  const dir = await Deno.makeTempDir();
  const run = async (name: string, text: string) => {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    const r = await runCli("check", `${dir}/${name}`);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  let r = await run("a.yaml", ANNOUNCING);
  assertEquals(r.code, 1, r.out);
  assertStringIncludes(
    r.out,
    "a.yaml:10:11: routers[0].announcers[0].kind: io.l5d.serversets is not supported",
  );
  r = await run("b.yaml", ANNOUNCING.replace("kind: io.l5d.serversets", "kind: io.l5d.curator"));
  assertEquals(r.code, 1, r.out);
  assertStringIncludes(r.out, "b.yaml:10:11: routers[0].announcers[0].kind: io.l5d.curator");
  // kind is required.
  r = await run(
    "c.yaml",
    ANNOUNCING.replace("  - kind: io.l5d.serversets\n    prefix", "  - prefix"),
  );
  assertEquals(r.code, 1, r.out);
  assertStringIncludes(r.out, "c.yaml:10:5: routers[0].announcers[0]: kind is required");
  r = await run(
    "d.json",
    `{"routers": [{"protocol": "http", "servers": [{"port": 0}],
  "announcers": [{"kind": "io.l5d.serversets", "zkAddrs": [{"host": "127.0.0.1", "port": 2181}]}]}]}
`,
  );
  assertEquals(r.code, 1, r.out);
  assertStringIncludes(r.out, "d.json:2:27: routers[0].announcers[0].kind: io.l5d.serversets");
  // No announcers: valid.
  r = await run(
    "e.yaml",
    ANNOUNCING.slice(0, ANNOUNCING.indexOf("  announcers:")) + "  announcers: []\n",
  );
  assertEquals(r.code, 0, r.out);
});
