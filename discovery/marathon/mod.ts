/**
 * Marathon (DC/OS) service discovery: the `io.l5d.marathon` namer (`namer.ts`), its API client
 * (`api.ts`, `apps.ts`) and credentials (`auth.ts`), and the factory the namer registry uses
 * (`factory.ts`).
 *
 * @example
 * ```ts
 * import { marathonKind } from "./mod.ts";
 * marathonKind; // "io.l5d.marathon"
 * ```
 *
 * @module
 */
export { createMarathonNamer, kind as marathonKind } from "./namer.ts";
export type { MarathonAppState, MarathonNamer, MarathonNamerOptions } from "./namer.ts";
export { createMarathonApi, MarathonApiError } from "./api.ts";
export type { MarathonApi, MarathonApiOptions } from "./api.ts";
export { appAddresses, appIdKey, appIds } from "./apps.ts";
export { authFromEnv, BASIC_ENV, DCOS_ENV, loginJwt } from "./auth.ts";
export type { DcosCredential, MarathonAuth } from "./auth.ts";
export { makeMarathonNamer, marathonConfigProblem } from "./factory.ts";
export type { MarathonNamerConfig } from "./factory.ts";
