import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import type { Var } from "../router/core/var.ts";
import type { Path } from "../router/dtab/types.ts";
import { address, boundAddr } from "./addr.ts";
import { createFsNamer, type FsNamer, type FsNamerOptions } from "./fs.ts";
import type { Bound } from "./types.ts";
import { type Lookup, NEG } from "./_activity.ts";
import { waitFor } from "./_testing.ts";

/** Run `fn` with a fresh temp dir and an fs namer on it; always clean up. */
async function withFs(
  opts: Partial<FsNamerOptions>,
  setup: (dir: string) => Promise<void> | void,
  fn: (fs: FsNamer, dir: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard_fs_" });
  let fs: FsNamer | undefined;
  try {
    await setup(dir);
    fs = createFsNamer({ rootDir: dir, ...opts });
    await fs.ready;
    await fn(fs, dir);
  } finally {
    await fs?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const isBound = (a: Lookup) =>
  a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound";
const isNeg = (a: Lookup) => a.state === "ok" && a.value.type === "neg";

function boundOf(v: Var<Lookup>): Bound {
  const a = v.get();
  if (a.state !== "ok" || a.value.type !== "leaf" || a.value.value.kind !== "bound") {
    throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
  }
  return a.value.value.bound;
}

const lookup = (fs: FsNamer, path: Path) => fs.lookup(path);
const write = (path: string, text: string) => Deno.writeTextFile(path, text);

Deno.test("createFsNamer() binds files, nests directories and splits the residual", async () => {
  await withFs({}, async (dir) => {
    await Deno.mkdir(`${dir}/web`);
    await write(`${dir}/web/v1`, "10.0.0.1 80\n");
    await write(`${dir}/hello`, "127.0.0.1 8080\n");
  }, (fs) => {
    const b = boundOf(lookup(fs, ["web", "v1", "extra", "more"]));
    assertEquals(b.id, ["web", "v1"]);
    assertEquals(b.residual, ["extra", "more"]);
    assertEquals(b.addr.get(), boundAddr([address("10.0.0.1", 80)]));
    assertEquals(boundOf(lookup(fs, ["hello"])).residual, []);
    assertEquals(lookup(fs, ["web"]).get(), NEG, "a directory is not a service");
    assertEquals(lookup(fs, ["web", "v2"]).get(), NEG);
    assertEquals(lookup(fs, ["missing", "x"]).get(), NEG);
    assertEquals(lookup(fs, ["hello/world"]).get(), NEG);
    assertEquals(lookup(fs, []).get(), NEG);
  });
});

Deno.test("createFsNamer() returns the same Vars and Bound for the same path", async () => {
  await withFs({}, (dir) => write(`${dir}/hello`, "127.0.0.1 8080\n"), (fs) => {
    assert(lookup(fs, ["hello", "x"]) === lookup(fs, ["hello", "x"]));
    assert(boundOf(lookup(fs, ["hello", "x"])) === boundOf(lookup(fs, ["hello", "x"])));
    assert(boundOf(lookup(fs, ["hello"])).addr === boundOf(lookup(fs, ["hello", "y"])).addr);
  });
});

Deno.test("createFsNamer() parses weights; a malformed file fails only that name", async () => {
  await withFs({}, async (dir) => {
    await write(`${dir}/good`, "# comment\n10.0.0.1 80\n\n10.0.0.2 80 * 0.5 # half\n");
    await write(`${dir}/bad`, "10.0.0.1 80\n10.0.0.2 99999\n");
  }, (fs, dir) => {
    assertEquals(
      boundOf(lookup(fs, ["good"])).addr.get(),
      boundAddr([address("10.0.0.1", 80), address("10.0.0.2", 80, 0.5)]),
    );
    const bad = boundOf(lookup(fs, ["bad"])).addr.get();
    assert(bad.type === "failed");
    assertStringIncludes(bad.error, `${dir}/bad:2`);
  });
});

Deno.test("createFsNamer() binds an empty file to zero addresses", async () => {
  await withFs({}, (dir) => write(`${dir}/empty`, ""), (fs) => {
    assertEquals(boundOf(lookup(fs, ["empty"])).addr.get(), { type: "bound", addrs: [] });
  });
});

Deno.test("createFsNamer() turns Neg into a leaf when the file appears (watch)", async () => {
  await withFs({ pollMs: 0 }, () => {}, async (fs, dir) => {
    const v = lookup(fs, ["late", "r"]);
    assertEquals(v.get(), NEG);
    await write(`${dir}/late`, "10.0.0.7 8080\n");
    await waitFor(v, isBound, 2000, "late to bind");
    const b = boundOf(v);
    assertEquals(b.residual, ["r"]);
    assertEquals(b.addr.get(), boundAddr([address("10.0.0.7", 8080)]));
  });
});

Deno.test("createFsNamer() updates the same Addr Var within a second of an edit", async () => {
  await withFs({ pollMs: 0 }, (dir) => write(`${dir}/web`, "10.0.0.1 80\n"), async (fs, dir) => {
    const addr = boundOf(lookup(fs, ["web"])).addr;
    const t0 = performance.now();
    await write(`${dir}/web`, "10.0.0.1 80\n10.0.0.2 80\n");
    await waitFor(addr, (a) => a.type === "bound" && a.addrs.length === 2, 1000, "edit");
    assert(performance.now() - t0 < 1000);
    assert(boundOf(lookup(fs, ["web"])).addr === addr, "same Var, no rebinding");
  });
});

Deno.test("createFsNamer() goes Neg on delete and rebinds the same Var on re-create", async () => {
  await withFs({ pollMs: 0 }, (dir) => write(`${dir}/web`, "10.0.0.1 80\n"), async (fs, dir) => {
    const v = lookup(fs, ["web"]);
    const addr = boundOf(v).addr;
    await Deno.remove(`${dir}/web`);
    await waitFor(v, isNeg, 2000, "delete");
    assertEquals(addr.get(), { type: "neg" });
    await write(`${dir}/web`, "10.0.0.9 80\n");
    await waitFor(v, isBound, 2000, "re-create");
    assert(boundOf(v).addr === addr);
    assertEquals(addr.get(), boundAddr([address("10.0.0.9", 80)]));
  });
});

Deno.test("createFsNamer() keeps a file's addresses through an in-place rewrite", async () => {
  await withFs({ pollMs: 0, debounceMs: 30 }, (dir) => write(`${dir}/web`, "10.0.0.1 80\n"), async (
    fs,
    dir,
  ) => {
    const addr = boundOf(lookup(fs, ["web"])).addr;
    const seen: number[] = [];
    const off = addr.subscribe((a) => seen.push(a.type === "bound" ? a.addrs.length : -1));
    try {
      // Truncated, then written 100 ms later (a rescan runs in between: debounce 30 ms).
      const f = await Deno.open(`${dir}/web`, { write: true, truncate: true });
      await new Promise((r) => setTimeout(r, 100));
      await f.write(new TextEncoder().encode("10.0.0.2 80\n"));
      f.close();
      await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === "10.0.0.2", 2000);
      assertEquals(seen, [1], "never bound to nothing");
      // Emptied for good: it binds to nothing once it has stayed empty for 10 × debounce.
      await Deno.truncate(`${dir}/web`);
      await waitFor(addr, (a) => a.type === "bound" && a.addrs.length === 0, 2000, "emptied");
    } finally {
      off();
    }
  });
});

Deno.test("createFsNamer() follows an atomic rename replace", async () => {
  await withFs({ pollMs: 0 }, (dir) => write(`${dir}/web`, "10.0.0.1 80\n"), async (fs, dir) => {
    const addr = boundOf(lookup(fs, ["web"])).addr;
    for (const ip of ["10.0.0.2", "10.0.0.3"]) {
      await write(`${dir}/.web.tmp`, `${ip} 80\n`);
      await Deno.rename(`${dir}/.web.tmp`, `${dir}/web`);
      await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === ip, 2000, ip);
    }
  });
});

Deno.test("createFsNamer() follows a Kubernetes ConfigMap ..data symlink swap", async () => {
  await withFs({ pollMs: 0 }, async (dir) => {
    await Deno.mkdir(`${dir}/..2024_01_01_v1`);
    await write(`${dir}/..2024_01_01_v1/web`, "10.0.0.1 80\n");
    await Deno.symlink("..2024_01_01_v1", `${dir}/..data`);
    await Deno.symlink("..data/web", `${dir}/web`);
  }, async (fs, dir) => {
    const addr = boundOf(lookup(fs, ["web"])).addr;
    assertEquals(addr.get(), boundAddr([address("10.0.0.1", 80)]));
    assertEquals(lookup(fs, ["..data", "web"]).get(), NEG, "writer internals are hidden");
    for (const [v, ip] of [["v2", "10.0.0.2"], ["v3", "10.0.0.3"]] as const) {
      const ts = `..2024_01_01_${v}`;
      await Deno.mkdir(`${dir}/${ts}`);
      await write(`${dir}/${ts}/web`, `${ip} 80\n`);
      await Deno.symlink(ts, `${dir}/..data_tmp`);
      await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
      await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === ip, 2000, v);
    }
  });
});

Deno.test("createFsNamer() follows a rootDir that is a ConfigMap item directory", async () => {
  // rootDir is `<volume>/disco`, a link `disco -> ..data/disco`: every update re-points it, first
  // as `ln -sfn` does (old targets kept), then as kubelet does (the old target deleted).
  const vol = await Deno.makeTempDir({ prefix: "switchyard_cm_" });
  const version = async (v: string, ip: string) => {
    await Deno.mkdir(`${vol}/..${v}/disco`, { recursive: true });
    await write(`${vol}/..${v}/disco/web`, `${ip} 80\n`);
    await Deno.symlink(`..${v}`, `${vol}/..data_tmp`);
    await Deno.rename(`${vol}/..data_tmp`, `${vol}/..data`);
  };
  await version("v1", "10.0.0.1");
  await Deno.symlink("..data/disco", `${vol}/disco`);
  const fs = createFsNamer({ rootDir: `${vol}/disco`, pollMs: 0 });
  try {
    await fs.ready;
    const addr = boundOf(lookup(fs, ["web"])).addr;
    assertEquals(addr.get(), boundAddr([address("10.0.0.1", 80)]));
    for (let i = 2; i <= 7; i++) {
      const ip = `10.0.0.${i}`;
      await version(`v${i}`, ip);
      if (i > 4) await Deno.remove(`${vol}/..v${i - 1}`, { recursive: true });
      await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === ip, 3000, `v${i}`);
    }
  } finally {
    await fs.close();
    await Deno.remove(vol, { recursive: true });
  }
});

Deno.test("createFsNamer() watches directories created after it started", async () => {
  await withFs({ pollMs: 0 }, () => {}, async (fs, dir) => {
    const v = lookup(fs, ["team", "api", "x"]);
    await Deno.mkdir(`${dir}/team`);
    await write(`${dir}/team/api`, "10.0.0.5 80\n");
    await waitFor(v, isBound, 2000, "nested file");
    assertEquals(boundOf(v).id, ["team", "api"]);
    assertEquals(boundOf(v).residual, ["x"]);
  });
});

Deno.test("createFsNamer() falls back to polling when watching is off", async () => {
  await withFs(
    { watch: false, pollMs: 50 },
    (dir) => write(`${dir}/web`, "10.0.0.1 80\n"),
    async (fs, dir) => {
      const addr = boundOf(lookup(fs, ["web"])).addr;
      await write(`${dir}/web`, "10.0.0.1 80\n10.0.0.22 80\n");
      await waitFor(addr, (a) => a.type === "bound" && a.addrs.length === 2, 2000, "poll");
      const v = lookup(fs, ["new"]);
      await write(`${dir}/new`, "10.0.0.3 80\n");
      await waitFor(v, isBound, 2000, "poll create");
    },
  );
});

Deno.test("createFsNamer() reads a file again at the next poll after a local limit (out of fds)", async () => {
  let refusals = 1;
  const readText = (path: string) => {
    if (refusals > 0 && path.endsWith("/hello")) {
      refusals--;
      return Promise.reject(new Error("Too many open files (os error 24)"));
    }
    return Deno.readTextFile(path);
  };
  // A live watch and a full poll far away: only the poll after the refusal can read it.
  await withFs({ readText, pollMs: 100, fullPollMs: 3_600_000 }, async (dir) => {
    await write(`${dir}/hello`, "127.0.0.1 8080\n");
  }, async (fs) => {
    const b = boundOf(lookup(fs, ["hello"]));
    assertEquals(b.addr.get().type, "pending", "not read yet: no addresses, no failure");
    await waitFor(b.addr, (a) => a.type === "bound", 3000, "the read at the next poll");
    assertEquals(b.addr.get(), boundAddr([address("127.0.0.1", 8080)]));
    assertEquals(refusals, 0);
  });
});

Deno.test("createFsNamer() fails lookups while rootDir is missing and recovers", async () => {
  const parent = await Deno.makeTempDir({ prefix: "switchyard_fs_" });
  const root = `${parent}/disco`;
  const fs = createFsNamer({ rootDir: root, pollMs: 50 });
  try {
    await fs.ready;
    const v = fs.lookup(["web"]);
    const a = v.get();
    assert(a.state === "failed");
    assertStringIncludes(a.error, root);
    await Deno.mkdir(root);
    await write(`${root}/web`, "10.0.0.1 80\n");
    await waitFor(v, isBound, 2000, "root created");
    await Deno.remove(root, { recursive: true });
    await waitFor(v, (a) => a.state === "failed", 2000, "root removed");
    await Deno.mkdir(root);
    await write(`${root}/web`, "10.0.0.2 80\n");
    await waitFor(v, isBound, 2000, "root re-created");
    const addr = boundOf(v).addr;
    await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === "10.0.0.2", 2000);
  } finally {
    await fs.close();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("createFsNamer() refresh() re-reads every file", async () => {
  await withFs(
    { watch: false, pollMs: 0 },
    (dir) => write(`${dir}/web`, "10.0.0.1 80\n"),
    async (fs, dir) => {
      const addr = boundOf(lookup(fs, ["web"])).addr;
      await write(`${dir}/web`, "10.0.0.2 80\n");
      await fs.refresh();
      assertEquals(addr.get(), boundAddr([address("10.0.0.2", 80)]));
    },
  );
});

Deno.test("createFsNamer() state() has Linkerd's namer_state shape", async () => {
  await withFs({ pollMs: 0 }, async (dir) => {
    await write(`${dir}/web`, "10.0.0.1 80\n");
    await Deno.mkdir(`${dir}/team`);
    await write(`${dir}/team/api`, "10.0.0.2 80\n");
  }, async (fs, dir) => {
    await write(`${dir}/web`, "10.0.0.3 80\n");
    const addr = boundOf(lookup(fs, ["web"])).addr;
    await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === "10.0.0.3", 2000);
    const s = fs.state();
    assertEquals(s.state.running, true);
    assertEquals(s.state.value, { web: "10.0.0.3 80\n" });
    assertEquals(s.events.lastEventName, "web");
    assert(s.events.lastEventKind?.startsWith("ENTRY_"));
    const team = s["team"] as typeof s;
    assertEquals(team.state.value, { api: "10.0.0.2 80\n" });
    assertEquals(team.events.lastEventKind, null);
    await fs.close();
    assertEquals(fs.state().state.running, false);
    assert(fs.state().state.lastStoppedAt !== null);
  });
});

Deno.test("createFsNamer() allNames() lists each file and directory directly under rootDir", async () => {
  await withFs({ pollMs: 0 }, async (dir) => {
    await write(`${dir}/web`, "10.0.0.1 80\n");
    await Deno.mkdir(`${dir}/team`);
    await write(`${dir}/team/api`, "10.0.0.2 80\n");
    await write(`${dir}/..data`, "k8s ConfigMap internals are skipped\n");
  }, async (fs, dir) => {
    const shown = async () => (await fs.allNames()).map((p) => p.join("/")).sort();
    assertEquals(await shown(), ["team", "web"]);
    await write(`${dir}/db`, "10.0.0.4 5432\n");
    await fs.refresh();
    assertEquals(await shown(), ["db", "team", "web"]);
  });
});

Deno.test("createFsNamer() close() stops updates", async () => {
  await withFs({}, (dir) => write(`${dir}/web`, "10.0.0.1 80\n"), async (fs, dir) => {
    const addr = boundOf(lookup(fs, ["web"])).addr;
    await fs.close();
    await write(`${dir}/web`, "10.0.0.2 80\n");
    await new Promise((r) => setTimeout(r, 150));
    assertEquals(addr.get(), boundAddr([address("10.0.0.1", 80)]));
  });
});

Deno.test("createFsNamer() with a live watch still sees a root replaced under it (cheap polls check the root)", async () => {
  const parent = await Deno.makeTempDir({ prefix: "switchyard_fs_" });
  const root = `${parent}/disco`;
  await Deno.mkdir(root);
  await write(`${root}/web`, "10.0.0.1 80\n");
  const fs = createFsNamer({ rootDir: root, pollMs: 50, fullPollMs: 60_000 });
  try {
    await fs.ready;
    const addr = boundOf(fs.lookup(["web"])).addr;
    assertEquals(addr.get().type, "bound");
    await Deno.rename(root, `${parent}/disco.old`);
    await Deno.mkdir(root);
    await write(`${root}/web`, "10.0.0.2 80\n");
    await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === "10.0.0.2", 3000);
    // And the new root is watched: a change shows without a full poll (60 s away).
    await write(`${root}/web`, "10.0.0.3 80\n");
    await waitFor(addr, (a) => a.type === "bound" && a.addrs[0]?.host === "10.0.0.3", 3000);
  } finally {
    await fs.close();
    await Deno.remove(parent, { recursive: true });
  }
});
