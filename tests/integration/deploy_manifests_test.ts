/**
 * deploy/k8s and deploy/viz checked as a whole: every YAML document parses (npm `yaml`), the
 * Kubernetes objects have linkerd-examples' shape (DaemonSet and LoadBalancer Service `l5d`,
 * ports outgoing/incoming/admin, RBAC), selectors match pod labels, every embedded Switchyard
 * config passes the real `switchyard check` and the shipped one is linkerd-examples' k8s-daemonset
 * config, the Prometheus config passes the real `promtool check config` and keeps exactly the
 * `l5d` Service on the DaemonSet's admin port, and every Grafana panel has PromQL that
 * `promtool check rules` accepts.
 *
 * And for real: two Switchyard processes run the ConfigMap's config as the l5d pods of two
 * nodes (loopback /24s), against the fake Kubernetes API server, with the apps started from the
 * Deployments' args and env. One request goes hello → outgoing (node A) → incoming (node B) →
 * world; then the ConfigMap volume is updated the way the kubelet does it (the `..data` symlink
 * swap): a broken version is rejected while the old config keeps serving, and an edited dtab
 * applies live in both processes.
 */
import { runFlags } from "../../router/v8_flags.ts";
import { parse, parseAllDocuments, stringify } from "yaml";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT, type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually } from "../support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import {
  helloWorldOptionsFromEnv,
  type HelloWorldServer,
  parseHelloWorldArgs,
  startHelloWorld,
} from "../../deploy/examples/helloworld/helloworld.ts";

const K8S = `${ROOT}deploy/k8s/`;
const VIZ = `${ROOT}deploy/viz/`;
const PROMTOOL = "/usr/bin/promtool";
const KUBECTL = "/usr/bin/kubectl";
const LINKERD_EXAMPLES = new URL(
  "../../../shared/compat/linkerd-examples/k8s-daemonset/k8s/linkerd.yml",
  import.meta.url,
);

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

/** A Kubernetes (or other) YAML document with the file it came from. */
type Doc = { readonly file: string; readonly obj: Obj };

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...yamlFiles(`${path}/`));
    else if (/\.ya?ml$/.test(e.name)) out.push(path);
  }
  return out.sort();
}

/** Every document of every YAML file under `dir`; fails on any parse error. */
function loadDocs(dir: string): Doc[] {
  const docs: Doc[] = [];
  for (const file of yamlFiles(dir)) {
    for (const d of parseAllDocuments(Deno.readTextFileSync(file))) {
      assertEquals(d.errors.map(String), [], `${file} parses`);
      const obj = d.toJS();
      if (obj !== null && obj !== undefined) docs.push({ file, obj });
    }
  }
  return docs;
}

const k8sObjects = (docs: Doc[]) => docs.map((d) => d.obj).filter((o) => o.kind && o.apiVersion);

function one(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.filter((o) => o.kind === kind && o.metadata?.name === name);
  assertEquals(found.length, 1, `one ${kind} ${name}`);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const env = { NO_COLOR: "1" };
  const o = await new Deno.Command(cmd, { args, cwd: ROOT, stdin: "null", env }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** Run `cmd args… FILE` with `text` in a temp file FILE. */
async function runOn(text: string, cmd: string, args: string[]) {
  const file = await Deno.makeTempFile({ prefix: "sy-deploy-", suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, text);
    return await run(cmd, [...args, file]);
  } finally {
    await Deno.remove(file);
  }
}

/** `switchyard check` on `text`, through the real CLI. */
function switchyardCheck(text: string): Promise<{ code: number; out: string }> {
  return runOn(text, Deno.execPath(), ["run", "-A", `${ROOT}main.ts`, "check"]);
}

/** Prometheus' relabel regexes are fully anchored. */
function promRegex(re: string): RegExp {
  return new RegExp(`^(?:${re})$`);
}

/** `replace` relabelling as Prometheus does it ($1 … from the anchored match). */
function relabel(rule: Obj, value: string): string | undefined {
  const m = promRegex(rule.regex ?? "(.*)").exec(value);
  if (!m) return undefined;
  return (rule.replacement ?? "$1").replace(/\$(\d)/g, (_: string, i: string) => m[Number(i)]!);
}

const k8sDocs = loadDocs(K8S);
const vizDocs = loadDocs(VIZ);
const k8s = k8sObjects(k8sDocs);
const viz = k8sObjects(vizDocs);

Deno.test("deploy/k8s: the DaemonSet, the l5d Service and RBAC have linkerd-examples' shape", () => {
  assertEquals(
    [...new Set(k8sDocs.map((d) => d.file.slice(K8S.length)))],
    ["hello-world.yml", "kustomization.yaml", "switchyard.yml", "world-v2.yml"],
  );
  const ds = one(k8s, "DaemonSet", "l5d");
  assertEquals(ds.apiVersion, "apps/v1");
  const pod = ds.spec.template.spec;
  const c = pod.containers.find((x: Obj) => x.name === "l5d");
  assertEquals(c.image, "switchyard:latest");
  const ports = Object.fromEntries(c.ports.map((p: Obj) => [p.name, p]));
  assertEquals(Object.keys(ports).sort(), ["admin", "incoming", "outgoing"]);
  assertEquals([ports.outgoing.containerPort, ports.outgoing.hostPort], [4140, 4140]);
  assertEquals(ports.incoming.containerPort, 4141);
  assertEquals(ports.admin.containerPort, 9990);
  const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  assertEquals(env.POD_IP, "status.podIP");
  assertEquals(env.NODE_NAME, "spec.nodeName");
  assertEquals(c.readinessProbe.httpGet, { path: "/admin/ping", port: "admin" });

  // The config comes from the ConfigMap, mounted where the args point.
  const vol = pod.volumes.find((v: Obj) => v.configMap);
  const cm = one(k8s, "ConfigMap", vol.configMap.name);
  const mount = c.volumeMounts.find((m: Obj) => m.name === vol.name);
  const configArg = c.args.at(-1) as string;
  assert(configArg.startsWith(`${mount.mountPath}/`), `${configArg} is under ${mount.mountPath}`);
  assert(cm.data[configArg.slice(mount.mountPath.length + 1)], `${configArg} is a ConfigMap key`);

  // The ingress: LoadBalancer Service l5d, ports named as linkerd-viz and the daemonset
  // transformer expect, reaching the DaemonSet's named ports.
  const svc = one(k8s, "Service", "l5d");
  assertEquals(svc.spec.type, "LoadBalancer");
  assert(matches(svc.spec.selector, ds.spec.template.metadata.labels), "l5d selects the pods");
  assertEquals(
    svc.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort]),
    [["outgoing", 4140, "outgoing"], ["incoming", 4141, "incoming"], ["admin", 9990, "admin"]],
  );

  // RBAC: read endpoints, services and pods, bound to the pod's ServiceAccount.
  const sa = one(k8s, "ServiceAccount", pod.serviceAccountName);
  const binding = k8s.find((o) =>
    o.kind === "ClusterRoleBinding" &&
    o.subjects.some((s: Obj) => s.kind === "ServiceAccount" && s.name === sa.metadata.name)
  );
  assert(binding, "a ClusterRoleBinding for the ServiceAccount");
  const role = one(k8s, "ClusterRole", binding.roleRef.name);
  const core = role.rules.find((r: Obj) => r.apiGroups.includes(""));
  for (const r of ["endpoints", "services", "pods"]) assert(core.resources.includes(r), r);
  assertEquals([...core.verbs].sort(), ["get", "list", "watch"]);
});

Deno.test("deploy/k8s and deploy/viz: workload selectors match their pods, Services reach ports", () => {
  for (const objs of [k8s, viz]) {
    const workloads = objs.filter((o) => ["DaemonSet", "Deployment"].includes(o.kind));
    assert(workloads.length > 0, "workloads");
    for (const w of workloads) {
      assert(
        matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels),
        `${w.kind} ${w.metadata.name}: selector matches its template labels`,
      );
    }
    for (const svc of objs.filter((o) => o.kind === "Service")) {
      const pods = workloads.filter((w) =>
        matches(svc.spec.selector, w.spec.template.metadata.labels)
      );
      assertEquals(pods.length, 1, `Service ${svc.metadata.name} selects one workload`);
      const cports = pods[0]!.spec.template.spec.containers.flatMap((c: Obj) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        const target = p.targetPort ?? p.port;
        assert(
          cports.some((c: Obj) => c.name === target || c.containerPort === target),
          `Service ${svc.metadata.name} port ${p.name} → ${target} exists on the pods`,
        );
      }
    }
  }
  // hello calls world through the node's outgoing port.
  const hello = one(k8s, "Deployment", "hello").spec.template.spec.containers[0];
  const proxy = hello.env.find((e: Obj) => e.name === "http_proxy");
  assert(/^\$\(\w+\):4140$/.test(proxy.value), `http_proxy=${proxy.value}`);
  for (const [name, port] of [["hello", 7777], ["world-v1", 7778]] as const) {
    const s = one(k8s, "Service", name);
    assertEquals(s.spec.clusterIP, "None", `${name} is headless (one DNS record per pod)`);
    assertEquals(s.spec.ports, [{ name: "http", port }]);
  }
});

Deno.test("deploy/k8s: every embedded Switchyard config passes `switchyard check`", async () => {
  const configs = k8s.filter((o) => o.kind === "ConfigMap").flatMap((cm) =>
    Object.entries(cm.data as Record<string, string>)
      .filter(([, text]) => /^routers:/m.test(text))
      .map(([key, text]) => ({ name: `${cm.metadata.name}/${key}`, text }))
  );
  assertEquals(configs.map((c) => c.name), [
    "l5d-config/config.yaml",
    "l5d-config/config-dns.yaml",
  ]);
  for (const { name, text } of configs) {
    const r = await switchyardCheck(text);
    assertEquals(r.code, 0, `${name}: ${r.out}`);
    assertStringIncludes(r.out, "telemetry io.l5d.prometheus");
    assert(!r.out.includes("warning:"), `${name} has no lint warnings: ${r.out}`);
    const config = parse(text);
    assertEquals([config.admin.ip, config.admin.port], ["0.0.0.0", 9990]);
    assertEquals(
      config.routers.map((rt: Obj) => [rt.label, rt.servers[0].port]),
      [["outgoing", 4140], ["incoming", 4141]],
    );
    // Every DNS name in the fallback's dtabs is a Service of deploy/k8s on its port.
    for (const rt of config.routers) {
      for (const [, port, svc] of rt.dtab.matchAll(/rinet\/(\d+)\/([\w-]+)\.default\.svc/g)) {
        assertEquals(one(k8s, "Service", svc).spec.ports[0].port, Number(port), `${svc}:${port}`);
      }
    }
  }
});

Deno.test("deploy/k8s: the shipped config is linkerd-examples' k8s-daemonset config, in-cluster", () => {
  const ours = parse(one(k8s, "ConfigMap", "l5d-config").data["config.yaml"]);
  const theirs = parse(
    parseAllDocuments(Deno.readTextFileSync(LINKERD_EXAMPLES)).map((d) => d.toJS())
      .find((o) => o?.kind === "ConfigMap").data["config.yaml"],
  );
  // The namer talks to the API server with the service account, not through kubectl proxy.
  assertEquals(theirs.namers, [{ kind: "io.l5d.k8s", host: "localhost", port: 8001 }]);
  assertEquals(ours.namers, [{ kind: "io.l5d.k8s", useServiceAccount: true }]);
  assertEquals(ours.telemetry, [{ kind: "io.l5d.prometheus" }]);
  // The routers are theirs verbatim, except that the daemonset transformer (which has its own
  // API client) uses the service account too.
  const routers = structuredClone(ours.routers);
  const daemonset = routers[0].interpreter.transformers[0];
  assertEquals([daemonset.kind, daemonset.useServiceAccount], ["io.l5d.k8s.daemonset", true]);
  delete daemonset.useServiceAccount;
  assertEquals(routers, theirs.routers);
  // The gateways the daemonset transformer looks up: Service l5d's `incoming` port.
  const svcPorts = one(k8s, "Service", daemonset.service).spec.ports.map((p: Obj) => p.name);
  assert(
    svcPorts.includes(daemonset.port),
    `Service ${daemonset.service} has port ${daemonset.port}`,
  );
  const pod = one(k8s, "DaemonSet", "l5d").spec.template.spec;
  assertEquals(pod.automountServiceAccountToken, true, "the token the namer reads is mounted");
  assert(!pod.containers.some((c: Obj) => c.name === "kubectl"), "no kubectl-proxy sidecar");
});

/** A node of the loopback cluster: its IP, its l5d pod's IP (same /24) and its name. */
interface Node {
  readonly ip: string;
  readonly l5d: string;
  readonly name: string;
}

const NODE_A: Node = { ip: "127.0.41.1", l5d: "127.0.41.2", name: "node-a" };
const NODE_B: Node = { ip: "127.0.42.1", l5d: "127.0.42.2", name: "node-b" };

/**
 * The ConfigMap's config as one l5d pod runs it here: the namer and the daemonset transformer
 * use the fake API in proxy mode (host/port instead of the service account, which needs a real
 * pod), the routers listen on the pod's IP on free ports, admin on 127.0.0.1. Nothing else
 * changes: dtabs, transformers, classifier are the shipped ones.
 */
function onLoopback(text: string, podIp: string, apiPort: number): string {
  const config = parse(text);
  config.admin = { ip: "127.0.0.1", port: 0 };
  for (const namer of config.namers) {
    assertEquals(namer.useServiceAccount, true, "shipped in service-account mode");
    delete namer.useServiceAccount;
    Object.assign(namer, { host: "127.0.0.1", port: apiPort });
  }
  for (const router of config.routers) {
    router.servers = router.servers.map(() => ({ ip: podIp, port: 0 }));
    for (const t of router.interpreter.transformers) {
      if (t.kind !== "io.l5d.k8s.daemonset") continue;
      delete t.useServiceAccount;
      Object.assign(t, { k8sHost: "127.0.0.1", k8sPort: apiPort });
    }
  }
  return stringify(config);
}

/**
 * A ConfigMap volume laid out as the kubelet's AtomicWriter does: the files in a hidden
 * timestamped directory, `..data` → that directory, each key a symlink through `..data`.
 * `update()` writes a new directory and renames a fresh `..data` symlink over the old one.
 */
async function configMapVolume(data: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "sy-configmap-" });
  let version = 0;
  async function writeVersion(files: Record<string, string>): Promise<string> {
    const name = `..2026_01_01_00_00_0${version++}.000000001`;
    await Deno.mkdir(`${dir}/${name}`);
    for (const [key, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}/${key}`, text);
    }
    return name;
  }
  let current = await writeVersion(data);
  await Deno.symlink(current, `${dir}/..data`);
  for (const key of Object.keys(data)) await Deno.symlink(`..data/${key}`, `${dir}/${key}`);
  return {
    dir,
    async update(files: Record<string, string>): Promise<void> {
      const next = await writeVersion(files);
      await Deno.symlink(next, `${dir}/..data_tmp`);
      await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
      await Deno.remove(`${dir}/${current}`, { recursive: true });
      current = next;
    },
  };
}

/** A container's environment: downward-API `fields`, then `$(VAR)` expanded as the kubelet does. */
function containerEnv(c: Obj, fields: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom) {
      const value = fields[e.valueFrom.fieldRef.fieldPath];
      assert(value !== undefined, `${e.name}: ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = value;
    } else {
      env[e.name] = String(e.value).replace(/\$\((\w+)\)/g, (m, v: string) => env[v] ?? m);
    }
  }
  return env;
}

/**
 * Start the app of Deployment `name` as a pod on `node` with IP `podIp`: the container's args
 * and env from the manifest, the pod's IP on a free port, and its http_proxy (the node's
 * hostPort) mapped to where the node's l5d pod listens.
 */
function startPod(
  name: string,
  podIp: string,
  node: Node,
  hostPorts: Map<string, string>,
): HelloWorldServer {
  const c = one(k8s, "Deployment", name).spec.template.spec.containers[0];
  const fields = { "status.podIP": podIp, "status.hostIP": node.ip, "spec.nodeName": node.name };
  const env = containerEnv(c, fields);
  const opts = helloWorldOptionsFromEnv(parseHelloWorldArgs(c.args), (n) => env[n]);
  const proxy = opts.proxy === undefined ? undefined : hostPorts.get(opts.proxy);
  assert(opts.proxy === undefined || proxy, `${name}: http_proxy ${opts.proxy} is a hostPort`);
  return startHelloWorld({ ...opts, addr: `${podIp}:0`, ...(proxy ? { proxy } : {}) });
}

/** A request counter from `/admin/metrics.json` (0 when absent). */
async function counter(p: Running, key: string): Promise<number> {
  const res = await fetch(`${p.admin}/admin/metrics.json`, { signal: AbortSignal.timeout(5000) });
  return (await res.json())[key] ?? 0;
}

async function reloadStatus(p: Running): Promise<Obj> {
  const res = await fetch(`${p.admin}/admin/reload`, { signal: AbortSignal.timeout(5000) });
  return await res.json();
}

/** One l5d pod of the DaemonSet: its node, its ConfigMap volume, its process. */
interface L5dPod {
  readonly node: Node;
  readonly volume: { dir: string; update(files: Record<string, string>): Promise<void> };
  readonly proc: Running;
}

Deno.test("deploy/k8s: the ConfigMap's config routes hello → outgoing → incoming → world, and follows ConfigMap edits live", async () => {
  const cm = one(k8s, "ConfigMap", "l5d-config").data as Record<string, string>;
  const l5d = one(k8s, "DaemonSet", "l5d").spec.template.spec.containers
    .find((c: Obj) => c.name === "l5d");
  const hostPort = l5d.ports.find((p: Obj) => p.hostPort).hostPort as number;
  const key = (l5d.args.at(-1) as string).split("/").at(-1)!; // config.yaml
  const api = startFakeK8sApi();
  const dirs: string[] = [];
  const pods: L5dPod[] = [];
  const apps: HelloWorldServer[] = [];
  // What the kubelet does on a ConfigMap edit, on every node.
  const editConfigMap = (text: string) =>
    Promise.all(
      pods.map((p) => p.volume.update({ [key]: onLoopback(text, p.node.l5d, api.port) })),
    );
  const callHello = async (app: HelloWorldServer) =>
    (await curl([`http://${app.hostname}:${app.port}/`])).body;
  try {
    // The two l5d pods, each reading its ConfigMap volume, with the DaemonSet's env.
    for (const node of [NODE_A, NODE_B]) {
      const volume = await configMapVolume({ [key]: onLoopback(cm[key]!, node.l5d, api.port) });
      dirs.push(volume.dir);
      const fields = {
        "status.podIP": node.l5d,
        "status.hostIP": node.ip,
        "spec.nodeName": node.name,
      };
      const proc = await startSwitchyard(Deno.readTextFileSync(`${volume.dir}/${key}`), {
        configPath: `${volume.dir}/${key}`,
        env: containerEnv(l5d, fields),
      });
      pods.push({ node, volume, proc });
    }
    const [a, b] = pods.map((p) => p.proc) as [Running, Running];
    assertEquals(Object.keys(a.ports), ["outgoing", "incoming"]);
    const hostPorts = new Map(pods.map((p) => [
      `${p.node.ip}:${hostPort}`,
      `${p.node.l5d}:${p.proc.ports.outgoing![0]}`,
    ]));

    // The apps: hello and world-v2 on node A, world-v1 on node B.
    const hello = startPod("hello", "127.0.41.10", NODE_A, hostPorts);
    const world = startPod("world-v1", "127.0.42.11", NODE_B, hostPorts);
    const earth = startPod("world-v2", "127.0.41.12", NODE_A, hostPorts);
    apps.push(hello, world, earth);

    // What the API server knows: the Endpoints of Service l5d (one subset per pod, as each
    // process picked its own ports) and of the apps' Services, port names from the manifests.
    const address = (ip: string, node: Node) => ({
      ip,
      nodeName: node.name,
      targetRef: { kind: "Pod", namespace: "default", name: `pod-${ip}` },
    });
    api.setEndpoints("default", "l5d", [], [], {
      subsets: pods.map(({ node, proc }) => ({
        addresses: [address(node.l5d, node)],
        ports: one(k8s, "Service", "l5d").spec.ports.map((sp: Obj) => ({
          name: sp.name,
          port: sp.name === "admin" ? proc.adminPort : proc.ports[sp.name]![0]!,
        })),
      })),
    });
    const placed = [
      { svc: "hello", app: hello, node: NODE_A },
      { svc: "world-v1", app: world, node: NODE_B },
      { svc: "world-v2", app: earth, node: NODE_A },
    ];
    for (const { svc, app, node } of placed) {
      const name = one(k8s, "Service", svc).spec.ports[0].name as string;
      api.setEndpoints("default", svc, [address(app.hostname, node)], [{ name, port: app.port }]);
    }

    // One request to hello; hello calls world through its node's outgoing router, whose
    // daemonset transformer sends it to node B's incoming router, which delivers it locally.
    assertEquals(await callHello(hello), "Hello (127.0.41.10) world (127.0.42.11)!!");
    const gateway =
      "%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/default/http/world-v1";
    const local = `%/io.l5d.k8s.localnode/${NODE_B.l5d}/#/io.l5d.k8s/default/http/world-v1`;
    const incomingB = `${NODE_B.l5d}:${b.ports.incoming![0]}`;
    const hops = () =>
      Promise.all([
        counter(a, `rt/outgoing/client/${gateway}/endpoint/${incomingB}/requests`),
        counter(b, `rt/incoming/client/${local}/requests`),
        counter(a, "rt/incoming/service/svc/world/requests"),
        counter(b, "rt/outgoing/service/svc/world/requests"),
      ]);
    let seen: number[] = [];
    await eventually(async () => (seen = await hops()).join() === "1,1,0,0", 2000);
    assertEquals(seen, [1, 1, 0, 0], "outgoing A → incoming B, and nothing else");

    // The ingress way (http_proxy=<l5d>:4140 curl http://hello) takes the same path twice.
    const ingress = await curl(["-x", hostPorts.get(`${NODE_A.ip}:${hostPort}`)!, "http://hello/"]);
    assertEquals(ingress.body, "Hello (127.0.41.10) world (127.0.42.11)!!");

    // A per-request dtab override (world-v2.yml's example) reaches both hops: hello passes the
    // l5d-ctx-* headers on, and incoming on node A must honour it, as world-v2 runs there only.
    const override = await curl([
      ...["-x", hostPorts.get(`${NODE_A.ip}:${hostPort}`)!, "http://hello/"],
      ...["-H", "l5d-dtab: /host/world => /srv/world-v2;"],
    ]);
    assertEquals(override.body, "Hello (127.0.41.10) earth (127.0.41.12)!!");

    // deploy/viz shows outgoing's client on A and incoming's on B as `world-v1`.
    const job = parse(Deno.readTextFileSync(`${VIZ}prometheus.yml`)).scrape_configs[0];
    const rule = job.metric_relabel_configs.find((r: Obj) => r.target_label === "client");
    for (const [p, router] of [[a, "outgoing"], [b, "incoming"]] as const) {
      const prom = await (await fetch(`${p.admin}/admin/metrics/prometheus`, {
        signal: AbortSignal.timeout(5000),
      })).text();
      const clients = prom.split("\n").filter((l) => l.startsWith("rt:client:requests{"))
        .map((l) =>
          Object.fromEntries([...l.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
        )
        .filter((labels) => labels.rt === router).map((labels) => relabel(rule, labels.client!));
      assert(clients.includes("world-v1"), `${router}: ${clients.join(", ")}`);
    }

    // The ConfigMap is edited to a version that does not validate: both pods reject it and
    // keep serving the config before it.
    const broken = cm[key]!.replace("/host/world => /srv/world-v1;", "/host/world => ;");
    assert(broken !== cm[key], "the edit applies");
    await editConfigMap(broken);
    for (const { proc } of pods) {
      const rejected = async () => (await reloadStatus(proc)).failures === 1;
      assert(await eventually(rejected, 10_000), "the broken version is rejected");
    }
    assertEquals(await callHello(hello), "Hello (127.0.41.10) world (127.0.42.11)!!");

    // Then world is moved to world-v2 in both routers: the same processes pick it up (hello →
    // outgoing A → incoming A → world-v2 on node A).
    await editConfigMap(cm[key]!.replaceAll("=> /srv/world-v1;", "=> /srv/world-v2;"));
    let last = "";
    const shifted = async () =>
      (last = await callHello(hello)) === "Hello (127.0.41.10) earth (127.0.41.12)!!";
    assert(await eventually(shifted, 10_000), last);
    for (const { proc } of pods) {
      // Each pod validates the edit in its own config-json child (~0.3–0.5 s): the pod not on
      // the path checked above may still be at it.
      await eventually(async () => (await reloadStatus(proc)).reloads === 1, 10_000);
      const status = await reloadStatus(proc);
      assertEquals([status.reloads, status.failures], [1, 1], JSON.stringify(status));
      assert(proc.logs.some((l) => l.includes('"config reloaded"')), "reloaded, not restarted");
    }
  } finally {
    await Promise.allSettled(apps.map((s) => s.close()));
    await Promise.allSettled(pods.map((p) => p.proc.stop()));
    await api.close();
    await Promise.allSettled(dirs.map((d) => Deno.remove(d, { recursive: true })));
  }
});

Deno.test("deploy/k8s: the Dockerfile's entrypoint takes the DaemonSet's args", () => {
  const docker = Deno.readTextFileSync(`${K8S}Dockerfile`);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(docker);
  assert(entry, "ENTRYPOINT in exec form");
  assertEquals(JSON.parse(entry[1]!), [
    "deno",
    "run",
    "-A",
    ...runFlags(),
    "--cached-only",
    "main.ts",
  ]);
  assert(/^USER \d+(:\d+)?$/m.test(docker), "numeric USER, so runAsNonRoot can verify it");
  const ignored = Deno.readTextFileSync(`${K8S}Dockerfile.dockerignore`).split("\n");
  for (const dir of ["node_modules", ".git", "tests"]) assert(ignored.includes(dir), dir);
  // The hello/world apps run from the same image: the program they name exists.
  for (const name of ["hello", "world-v1", "world-v2"]) {
    const c = one(k8s, "Deployment", name).spec.template.spec.containers[0];
    assertEquals(c.image, "switchyard:latest");
    assert(exists(`${ROOT}${c.command.at(-1)}`), `${c.command.at(-1)} exists`);
  }
});

Deno.test("deploy/viz: prometheus.yml passes promtool and keeps only l5d on the admin port", async () => {
  const file = `${VIZ}prometheus.yml`;
  const config = parse(Deno.readTextFileSync(file));
  assertEquals(config.scrape_configs.length, 1);
  const job = config.scrape_configs[0];
  assertEquals(job.metrics_path, "/admin/metrics/prometheus");
  assertEquals(job.kubernetes_sd_configs, [{ role: "endpoints" }]);

  // The keep rule selects exactly the l5d Service among everything deploy/k8s and viz create.
  const keep = job.relabel_configs.find((r: Obj) => r.action === "keep");
  assertEquals(keep.source_labels, ["__meta_kubernetes_service_name"]);
  const services = [...k8s, ...viz].filter((o) => o.kind === "Service").map((o) => o.metadata.name);
  assertEquals(services.filter((n) => promRegex(keep.regex).test(n)), ["l5d"]);
  // Any endpoint port of l5d → the DaemonSet's admin port; instance = the pod IP.
  const admin = one(k8s, "DaemonSet", "l5d").spec.template.spec.containers[0].ports
    .find((p: Obj) => p.name === "admin").containerPort;
  const address = job.relabel_configs.find((r: Obj) => r.target_label === "__address__");
  const instance = job.relabel_configs.find((r: Obj) => r.target_label === "instance");
  for (const port of [4140, 4141, 9990]) {
    assertEquals(relabel(address, `10.1.2.3:${port}`), `10.1.2.3:${admin}`);
    assertEquals(relabel(instance, `10.1.2.3:${port}`), "10.1.2.3");
  }
  // client/service → last path segment (linkerd-viz's metric relabels).
  const byLabel = Object.fromEntries(
    job.metric_relabel_configs.map((r: Obj) => [r.target_label, r]),
  );
  assertEquals(relabel(byLabel.client, "#/io.l5d.fs/world"), "world");
  assertEquals(
    relabel(byLabel.client, "$/io.buoyant.rinet/7778/world-v1.default.svc.cluster.local"),
    "world-v1.default.svc.cluster.local",
  );
  assertEquals(relabel(byLabel.service, "svc/world"), "world");

  if (!exists(PROMTOOL)) {
    console.log(`deploy_manifests_test: promtool checks skipped, ${PROMTOOL} is absent`);
    return;
  }
  const r = await run(PROMTOOL, ["check", "config", file]);
  if (r.code === 0) return;
  // Debian builds Prometheus without Kubernetes discovery ("field kubernetes_sd_configs not
  // found"). Then check everything else: the same config with static targets in its place.
  assertStringIncludes(r.out, "field kubernetes_sd_configs not found", r.out);
  console.log("deploy_manifests_test: this promtool lacks kubernetes_sd_configs (Debian build)");
  const variant = structuredClone(config);
  delete variant.scrape_configs[0].kubernetes_sd_configs;
  variant.scrape_configs[0].static_configs = [{
    targets: ["10.1.2.3:4140"],
    labels: { __meta_kubernetes_service_name: "l5d" },
  }];
  const v = await runOn(stringify(variant), PROMTOOL, ["check", "config"]);
  assertEquals(v.code, 0, v.out);
});

Deno.test("deploy/viz: the Grafana dashboard has linkerd-viz's rows and variables, and PromQL in every panel", async () => {
  const dashboard = JSON.parse(Deno.readTextFileSync(`${VIZ}grafana/switchyard-viz.json`));
  const rows = dashboard.panels.filter((p: Obj) => p.type === "row");
  assertEquals(rows.map((r: Obj) => [r.title, r.repeat]), [
    ["TOP LINE", undefined],
    ["SERVICE METRICS: $service", "service"],
    ["PER-INSTANCE METRICS", undefined],
  ]);
  const vars = dashboard.templating.list.map((v: Obj) => v.name);
  for (const v of ["router", "service", "instance"]) assert(vars.includes(v), `variable ${v}`);
  const ids = dashboard.panels.map((p: Obj) => p.id);
  assertEquals(new Set(ids).size, ids.length, "panel ids are unique");

  const panels = dashboard.panels.filter((p: Obj) => p.type !== "row");
  assert(panels.length >= 15, `${panels.length} panels`);
  const exprs: string[] = [];
  for (const p of panels) {
    assert(p.targets?.length > 0, `panel ${p.title} has a query`);
    assertEquals(p.datasource, { type: "prometheus", uid: "${datasource}" }, p.title);
    for (const t of p.targets) {
      assert(typeof t.expr === "string" && t.expr.trim() !== "", `panel ${p.title}: expr`);
      for (const [, name] of t.expr.matchAll(/\$(\w+)/g)) {
        assert(vars.includes(name) || name === "__rate_interval", `${p.title}: $${name} defined`);
      }
      exprs.push(t.expr);
    }
  }
  // Top line is cluster-wide like linkerd-viz: jvm:uptime counts the instances.
  assert(exprs.includes("count(count(jvm:uptime) by (instance))"), "instance count");

  if (!exists(PROMTOOL)) return;
  // PromQL syntax: every expression, variables substituted, as a recording rule.
  const rules = {
    groups: [{
      name: "switchyard-viz",
      rules: exprs.map((expr, i) => ({
        record: `switchyard_viz:panel_${i}`,
        expr: expr.replaceAll("$__rate_interval", "1m").replace(/\$(\w+)/g, ".*"),
      })),
    }],
  };
  const r = await runOn(stringify(rules), PROMTOOL, ["check", "rules"]);
  assertEquals(r.code, 0, r.out);
  assertStringIncludes(r.out, `${exprs.length} rules found`);
});

Deno.test("deploy/viz: kustomization, Grafana provisioning and viz.yml agree", async () => {
  const kustomization = vizDocs.find((d) => d.file.endsWith("/kustomization.yaml"))!.obj;
  const pod = one(viz, "Deployment", "switchyard-viz").spec.template.spec;
  const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
  const mounts = Object.fromEntries(
    pod.containers.flatMap((c: Obj) => c.volumeMounts.map((m: Obj) => [m.name, m.mountPath])),
  );
  const mountOf: Record<string, string> = {};
  for (const [name, v] of Object.entries(volumes) as [string, Obj][]) {
    if (v.configMap) mountOf[v.configMap.name] = mounts[name];
  }
  // Every generated ConfigMap is mounted; its files exist here.
  for (const gen of kustomization.configMapGenerator) {
    assert(mountOf[gen.name], `ConfigMap ${gen.name} is mounted`);
    for (const f of gen.files) assert(exists(`${VIZ}${f}`), `${f} exists`);
  }
  for (const r of kustomization.resources) assert(exists(`${VIZ}${r}`), `${r} exists`);
  const prom = pod.containers.find((c: Obj) => c.name === "prometheus");
  const grafana = pod.containers.find((c: Obj) => c.name === "grafana");
  assert(
    prom.args.includes(`--config.file=${mountOf["switchyard-viz-prometheus"]}/prometheus.yml`),
  );
  const listen = prom.args.find((a: string) => a.startsWith("--web.listen-address="));
  const datasources = parse(Deno.readTextFileSync(`${VIZ}grafana/datasources.yaml`)).datasources;
  assertEquals(datasources[0].type, "prometheus");
  assertEquals(new URL(datasources[0].url).port, listen.split(":").at(-1));
  assertEquals(
    datasources[0].jsonData.timeInterval,
    parse(Deno.readTextFileSync(`${VIZ}prometheus.yml`)).global.scrape_interval,
    "Grafana knows the scrape interval ($__rate_interval)",
  );
  const providers = parse(Deno.readTextFileSync(`${VIZ}grafana/dashboards.yaml`)).providers;
  assertEquals(providers[0].options.path, mountOf["switchyard-viz-dashboards"]);
  const home = grafana.env.find((e: Obj) => e.name === "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
  assertEquals(home.value, `${mountOf["switchyard-viz-dashboards"]}/switchyard-viz.json`);

  // Both kustomizations build (when kubectl, with its bundled kustomize, is installed).
  if (!exists(KUBECTL)) {
    console.log(`deploy_manifests_test: kustomize builds skipped, ${KUBECTL} is absent`);
    return;
  }
  for (const dir of [K8S, VIZ]) {
    const r = await run(KUBECTL, ["kustomize", dir]);
    assertEquals(r.code, 0, `kubectl kustomize ${dir}: ${r.out}`);
    const kinds = parseAllDocuments(r.out).map((d) => d.toJS()?.kind);
    assert(kinds.includes(dir === K8S ? "DaemonSet" : "Deployment"), `${dir} builds objects`);
  }
});
