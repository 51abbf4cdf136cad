/**
 * The table of built-in `/$/<name>` namers (Finagle's `Namer.global` plus the Linkerd
 * `io.buoyant.*` namers loaded from the classpath): `inet`, `io.buoyant.rinet`, `fail`, `nil`,
 * `io.buoyant.http.status` and the rewriting namers of `rewriting.ts`. One table per interpreter, owned and closed by it.
 *
 * @module
 */
import type { Namer } from "./types.ts";
import { createInetNamer, type InetNamerOptions } from "./inet.ts";
import { createRinetNamer } from "./rinet.ts";
import { createFailNamer } from "./fail.ts";
import { createNilNamer } from "./nil.ts";
import { createHttpStatusNamer, kind as httpStatusKind } from "./http_status.ts";
import { rewritingNamers } from "./rewriting.ts";

/** The built-in namers and their shutdown. */
export interface BuiltinNamers {
  /** `/$/<name>` → namer. */
  readonly namers: ReadonlyMap<string, Namer>;
  /** Stop the inet namer's DNS timers. */
  close(): Promise<void>;
}

/**
 * Make the built-in namers.
 *
 * @param inet Options for the inet (and rinet) namer.
 * @returns The table.
 * @example
 * ```ts
 * import { createBuiltinNamers } from "./builtins.ts";
 * const builtins = createBuiltinNamers();
 * builtins.namers.get("nil")?.lookup([]).get(); // empty
 * await builtins.close();
 * ```
 */
export function createBuiltinNamers(inet: InetNamerOptions = {}): BuiltinNamers {
  const inetNamer = createInetNamer(inet);
  const namers = new Map<string, Namer>([
    [inetNamer.kind, inetNamer],
    ["io.buoyant.rinet", createRinetNamer(inetNamer)],
    ["fail", createFailNamer()],
    ["nil", createNilNamer()],
    [httpStatusKind, createHttpStatusNamer()],
    ...rewritingNamers(),
  ]);
  return { namers, close: () => inetNamer.close() };
}
