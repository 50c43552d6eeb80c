/**
 * Counts the processes started while `work` runs, by command: how a test proves a cached path
 * really ran nothing (an unchanged result alone cannot tell a cache from a re-computation). Both
 * kinds: spawned by bosun (agents, tests) and run by its shell runner (git).
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { observeQuickCommands, SHELL_LOOP } from "../../src/proc/shell-runner.js";

type Spawn = (command: string, ...rest: unknown[]) => unknown;

export async function countSpawns<T>(
  work: () => Promise<T>,
): Promise<{ result: T; spawns: string[] }> {
  const childProcess = createRequire(import.meta.url)("node:child_process") as { spawn: Spawn };
  const original = childProcess.spawn;
  const spawns: string[] = [];
  childProcess.spawn = function (this: unknown, command: string, ...rest: unknown[]) {
    // The shell runner's own shell, started at its first command, is not that command's.
    const args = rest[0];
    if (!(Array.isArray(args) && args[1] === SHELL_LOOP)) spawns.push(command);
    return original.call(this, command, ...rest);
  };
  // Updates the named ESM exports too, which proc/run-process.ts imports.
  syncBuiltinESMExports();
  const stopObserving = observeQuickCommands((command) => spawns.push(command));
  try {
    return { result: await work(), spawns };
  } finally {
    stopObserving();
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}
