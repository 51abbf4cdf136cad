/**
 * Reading Marathon's `/v2/apps` JSON the way Linkerd's `marathon/.../v2/Api.scala` does (L1):
 * unknown fields are ignored, missing ones are absent.
 *
 * - `GET /v2/apps` → the app ids, lowercased and read as paths (`/appgroup/users`); an app
 *   without `id` is skipped (`toAppIds`).
 * - `GET /v2/apps/<id>?embed=app.tasks` → the app's endpoints (`toAddresses`): when the app has
 *   `ipAddress.discovery.ports[0].number` (IP-per-task networking), each task's
 *   `ipAddresses[0].ipAddress` with that port; otherwise each task's `host` with its `ports[0]`.
 *   A task lacking them is skipped.
 * - With `useHealthCheck`, only healthy tasks count (`isHealthy`): `state` must be
 *   `TASK_RUNNING`, and when the app defines `healthChecks`, at least that many of the task's
 *   `healthCheckResults` must be `alive: true` (a task with no results is not healthy then).
 *
 * @module
 */
import type { Address } from "../types.ts";
import { address } from "../addr.ts";

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : undefined;
}

function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function port(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;
}

/**
 * An app id as the namer keys it: lowercased, read as a path and shown again (`/a//b/` →
 * `/a/b`), as Linkerd's `Path.read(id.toLowerCase)`.
 *
 * @param id The Marathon app id, e.g. `/AppGroup/users`.
 * @returns The shown path, e.g. `/appgroup/users`; `undefined` when it is not a path.
 * @example
 * ```ts
 * import { appIdKey } from "./apps.ts";
 * appIdKey("/AppGroup/users"); // "/appgroup/users"
 * ```
 */
export function appIdKey(id: string): string | undefined {
  if (!id.startsWith("/")) return undefined;
  const segs = id.toLowerCase().split("/").filter((s) => s !== "");
  return `/${segs.join("/")}`;
}

/**
 * The app ids of a `GET /v2/apps` answer.
 *
 * @param body The parsed JSON.
 * @returns Lowercased ids shown as paths.
 * @throws {Error} When the body is not a JSON object.
 * @example
 * ```ts
 * import { appIds } from "./apps.ts";
 * appIds({ apps: [{ id: "/Users" }, { id: "/web/api" }] }); // Set {"/users", "/web/api"}
 * ```
 */
export function appIds(body: unknown): Set<string> {
  const root = obj(body);
  if (!root) throw new Error("apps: not a JSON object");
  const out = new Set<string>();
  for (const app of arr(root.apps) ?? []) {
    const id = str(obj(app)?.id);
    const key = id === undefined ? undefined : appIdKey(id);
    if (key !== undefined) out.add(key);
  }
  return out;
}

function healthy(task: Json, checks: number): boolean {
  const state = str(task.state);
  if (state === undefined) return false;
  const results = arr(task.healthCheckResults);
  if (results && checks > 0) {
    const alive = results.filter((r) => obj(r)?.alive === true).length;
    return state === "TASK_RUNNING" && alive >= checks;
  }
  return state === "TASK_RUNNING" && checks === 0;
}

/**
 * The endpoints of a `GET /v2/apps/<id>?embed=app.tasks` answer.
 *
 * @param body The parsed JSON (`{app: {...}}`).
 * @param useHealthCheck Keep only healthy tasks (see the module doc).
 * @returns The endpoints, weight 1, deduplicated by the caller.
 * @throws {Error} When the body is not a JSON object.
 * @example
 * ```ts
 * import { appAddresses } from "./apps.ts";
 * appAddresses({ app: { tasks: [{ host: "10.0.0.1", ports: [31000, 31001] }] } }, false);
 * // [{ host: "10.0.0.1", port: 31000, weight: 1 }]
 * ```
 */
export function appAddresses(body: unknown, useHealthCheck: boolean): Address[] {
  const root = obj(body);
  if (!root) throw new Error("app: not a JSON object");
  const app = obj(root.app);
  const tasks = arr(app?.tasks);
  if (!app || !tasks) return [];
  const checks = arr(app.healthChecks)?.length ?? 0;
  const discoveryPort = port(
    obj(arr(obj(obj(app.ipAddress)?.discovery)?.ports)?.[0])?.number,
  );
  const out: Address[] = [];
  for (const t of tasks) {
    const task = obj(t);
    if (!task || (useHealthCheck && !healthy(task, checks))) continue;
    if (discoveryPort !== undefined) {
      const ip = str(obj(arr(task.ipAddresses)?.[0])?.ipAddress);
      if (ip !== undefined) out.push(address(ip, discoveryPort));
    } else {
      const host = str(task.host);
      const p = port(arr(task.ports)?.[0]);
      if (host !== undefined && p !== undefined) out.push(address(host, p));
    }
  }
  return out;
}
