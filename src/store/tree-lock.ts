/**
 * One live run per working tree: two runs in one tree would commit each other's changes, while
 * runs in different trees (git worktrees of one repository) may work at once. A tree's lock is
 * `.bosun/locks/<hash>.lock`, keyed by the tree's real path and naming the process, its run and
 * the tree in JSON; taken and taken over like any pid lock (run-lock.ts).
 */
import { realpath } from "node:fs/promises";
import { StateError } from "../errors.js";
import { readOwnIdentity } from "../proc/liveness.js";
import { createStateFsError } from "./fs-errors.js";
import type { BosunPaths } from "./paths.js";
import { tryAcquirePidLock, type PidLockSpec, type RunLock } from "./run-lock.js";
import { TreeLockSchema, type TreeLock } from "./schema/tree-lock.js";

/** What taking a tree's lock needs besides the tree. */
export interface TreeLockOptions {
  /** The run that will work in the tree, named to anyone refused. */
  runId?: string | undefined;
  /** See `PidLockSpec.onTakeover`. */
  onTakeover?: PidLockSpec<TreeLock>["onTakeover"];
}

/**
 * Takes the lock of the working tree at `cwd` (any spelling of it: the real path is the key),
 * or throws a StateError naming the run and process still working there.
 */
export async function acquireTreeLock(
  paths: BosunPaths,
  cwd: string,
  options: TreeLockOptions = {},
): Promise<RunLock> {
  const realCwd = await readRealPath(cwd);
  const lock: TreeLock = {
    version: 1,
    ...readOwnIdentity(),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    cwd: realCwd,
  };
  const attempt = await tryAcquirePidLock(paths.treeLockFile(realCwd), {
    text: `${JSON.stringify(TreeLockSchema.parse(lock), null, 2)}\n`,
    parseHolder: parseTreeLock,
    onTakeover: options.onTakeover,
  });
  if (attempt.type === "acquired") return attempt.lock;
  const { holder, file } = attempt;
  const who =
    holder.runId === undefined
      ? `Process ${holder.pid}`
      : `Run ${holder.runId} (process ${holder.pid})`;
  const wait =
    holder.runId === undefined ? "Wait for it" : `Wait for it ("bosun status ${holder.runId}")`;
  throw new StateError(
    `${who} is still working in ${holder.cwd}; two runs in one working tree would mix their changes. ${wait} or stop it first (lock: ${file}).`,
  );
}

/** A tree lock's holder, or undefined when the text is not a tree lock (damaged: stale). */
export function parseTreeLock(text: string): TreeLock | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: no holder can be read from it, so nobody can be refused in its name.
    return undefined;
  }
  const parsed = TreeLockSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

async function readRealPath(cwd: string): Promise<string> {
  try {
    return await realpath(cwd);
  } catch (error) {
    throw createStateFsError("read", cwd, error);
  }
}
