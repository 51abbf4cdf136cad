/**
 * Switchyard's top-level `services:` (issue 5): versions with weights and ordered failover, as
 * YAML instead of hand-written dentries. Schema only here; the router compiles each entry to a
 * dentry `name => (w1 * v1 & w2 * v2) | failover1 | failover2 …`, appended after the router's
 * own dtab (so it takes precedence), for the routers listed in `routers` (default: all).
 *
 * ```yaml
 * services:
 * - name: /svc/hello
 *   versions:
 *   - {name: v1, dst: /#/io.l5d.fs/hello-v1, weight: 90}
 *   - {name: v2, dst: /#/io.l5d.fs/hello-v2, weight: 10}
 *   failover: [/#/io.l5d.fs/hello-east, /$/inet/127.0.0.1/8081]
 * ```
 *
 * @example
 * ```ts
 * import { serviceDefSchema } from "./services_schema.ts";
 * const s = serviceDefSchema.parse({ name: "/svc/a", versions: [{ dst: "/#/io.l5d.fs/a" }] });
 * console.log(s.versions[0]?.weight, s.failover); // 1 []
 * ```
 *
 * @module
 */
import { z } from "zod";
import { pathString } from "./common_schema.ts";

/** One version of a service: where it lives and its share of traffic. */
export const serviceVersionSchema = z.strictObject({
  /** A label for stats and the delegator view (e.g. `v1`). */
  name: z.string().regex(/^[0-9A-Za-z_:.-]+$/, {
    error: "a version name must be letters, digits, '_', ':', '.' or '-'",
  }).optional(),
  /** The concrete (or further delegated) name, e.g. `/#/io.l5d.fs/hello-v1`. */
  dst: pathString,
  /** Relative weight; weights need not sum to 1 or 100. */
  weight: z.number().positive().default(1),
});

/** One `services[]` entry. */
export const serviceDefSchema = z.strictObject({
  /** The logical name the entry defines (a dentry prefix), e.g. `/svc/hello`. */
  name: pathString,
  versions: z.array(serviceVersionSchema).min(1, { error: "at least one version is required" }),
  /** Tried in order when the versions are negative, empty or all marked dead. */
  failover: z.array(pathString).default([]),
  /** Router labels this applies to; all routers when absent. */
  routers: z.array(z.string().min(1)).min(1).optional(),
}).superRefine((svc, ctx) => {
  const seen = new Map<string, number>();
  svc.versions.forEach((v, i) => {
    if (v.name === undefined) return;
    const first = seen.get(v.name);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        input: v.name,
        path: ["versions", i, "name"],
        message: `duplicate version name ${v.name} (also versions[${first}])`,
      });
    } else seen.set(v.name, i);
  });
});

/** One service definition. */
export type ServiceDefConfig = z.infer<typeof serviceDefSchema>;
/** One version of a service definition. */
export type ServiceVersionConfig = z.infer<typeof serviceVersionSchema>;
