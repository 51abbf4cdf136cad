import { assert, assertEquals } from "../../tests/support/assert.ts";
import { eventually } from "../../tests/support/upstream.ts";
import { showDtab } from "../../router/dtab/dtab.ts";
import { createK8sApi } from "./api.ts";
import { type ConfigMapDtab, watchConfigMapDtab } from "./configmap_dtab.ts";
import { type FakeK8sApi, startFakeK8sApi } from "./fake_api.ts";

function watcher(fake: FakeK8sApi, lines: string[]): ConfigMapDtab {
  const note = (level: string) => (msg: string) => lines.push(`${level} ${msg}`);
  return watchConfigMapDtab({
    api: createK8sApi({ host: fake.hostname, port: fake.port }),
    ownsApi: true,
    namespace: "l5d",
    name: "dtabs",
    filename: "d",
    log: { debug() {}, info: note("info"), warn: note("warn"), error: note("error") },
  });
}

async function shows(cm: ConfigMapDtab, want: string | undefined): Promise<void> {
  const now = () => {
    const d = cm.dtab.get();
    return d === undefined ? undefined : showDtab(d);
  };
  assert(await eventually(() => now() === want, 3000), `dtab ${now()} never became ${want}`);
}

Deno.test("configmap dtab: pending, loaded, edited, bad (kept), key missing, deleted", async () => {
  const fake = startFakeK8sApi();
  fake.setConfigMap("l5d", "dtabs", { d: "/svc => /#/io.l5d.fs;" });
  const lines: string[] = [];
  const cm = watcher(fake, lines);
  try {
    assertEquals(cm.dtab.get(), undefined); // before the API answers
    assertEquals(cm.state().state.value, null);
    await shows(cm, "/svc=>/#/io.l5d.fs");
    fake.setConfigMap("l5d", "dtabs", { d: "/svc => /$/inet/127.0.0.1/1;" });
    await shows(cm, "/svc=>/$/inet/127.0.0.1/1");
    fake.setConfigMap("l5d", "dtabs", { d: "/svc => ;" });
    assert(await eventually(() => lines.some((l) => l.startsWith("error "))));
    assertEquals(showDtab(cm.dtab.get()!), "/svc=>/$/inet/127.0.0.1/1");
    assert(cm.state().lastProblem?.includes("l5d/dtabs/d:1:9"), cm.state().lastProblem ?? "");
    fake.setConfigMap("l5d", "dtabs", { other: "/a => /b;" });
    await shows(cm, "");
    fake.setConfigMap("l5d", "dtabs", { d: "/a => /b;" });
    await shows(cm, "/a=>/b");
    fake.remove("configmaps", "l5d", "dtabs");
    await shows(cm, "");
    assert(lines.includes("warn k8s ConfigMap dtabs was deleted!"), lines.join("\n"));
    assertEquals(cm.state().watch?.streaming, true);
  } finally {
    await cm.close();
    await fake.close();
  }
});

Deno.test("configmap dtab: a ConfigMap that does not exist yet is the empty dtab, warned once", async () => {
  const fake = startFakeK8sApi();
  const lines: string[] = [];
  const cm = watcher(fake, lines);
  try {
    await shows(cm, "");
    fake.endWatches(); // the watch resumes; the warning is not repeated
    fake.compact(); // a 410: list again, still absent
    fake.setConfigMap("l5d", "other", { d: "/x => /y;" });
    fake.setConfigMap("l5d", "dtabs", { d: "/a => /b;" });
    await shows(cm, "/a=>/b");
    const warned = lines.filter((l) => l.includes("doesn't exist, assuming it will be created"));
    assertEquals(warned.length, 1, lines.join("\n"));
  } finally {
    await cm.close();
    await fake.close();
  }
});

Deno.test("configmap dtab: an API serving only Linkerd's one-object paths", async () => {
  const fake = startFakeK8sApi({ linkerdPathsOnly: true });
  fake.setConfigMap("l5d", "dtabs", { d: "/a => /b;" });
  const cm = watcher(fake, []);
  try {
    await shows(cm, "/a=>/b");
    fake.setConfigMap("l5d", "dtabs", { d: "/a => /c;" });
    await shows(cm, "/a=>/c");
    assert(
      fake.requests.includes("GET /api/v1/namespaces/l5d/configmaps/dtabs"),
      fake.requests.join("\n"),
    );
    assert(
      fake.requests.some((r) => r.startsWith("GET /api/v1/watch/namespaces/l5d/configmaps/dtabs?")),
      fake.requests.join("\n"),
    );
  } finally {
    await cm.close();
    await fake.close();
  }
});
