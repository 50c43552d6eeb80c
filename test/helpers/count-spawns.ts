/**
 * Counts the processes spawned while `work` runs, by command: how a test proves a cached path
 * really spawned nothing (an unchanged result alone cannot tell a cache from a re-computation).
 */
import { createRequire, syncBuiltinESMExports } from "node:module";

type Spawn = (command: string, ...rest: unknown[]) => unknown;

export async function countSpawns<T>(
  work: () => Promise<T>,
): Promise<{ result: T; spawns: string[] }> {
  const childProcess = createRequire(import.meta.url)("node:child_process") as { spawn: Spawn };
  const original = childProcess.spawn;
  const spawns: string[] = [];
  childProcess.spawn = function (this: unknown, command: string, ...rest: unknown[]) {
    spawns.push(command);
    return original.call(this, command, ...rest);
  };
  // Updates the named ESM exports too, which proc/run-process.ts imports.
  syncBuiltinESMExports();
  try {
    return { result: await work(), spawns };
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}
