/**
 * Killing a spawn's whole tree, not only its process group: agents' tools detach (`setsid`), and a
 * group kill misses them. A tracked spawn gets a unique id in BOSUN_SPAWN_ID, which everything it
 * starts inherits; proc-scan.ts finds them by it. Kill = TERM, then KILL after the grace period.
 */
import { randomBytes } from "node:crypto";
import { findTreePids, isProcScanAvailable, type SpawnTree } from "./proc-scan.js";

export { SPAWN_ID_VAR, type SpawnTree } from "./proc-scan.js";

/** How often a sweep looks whether the processes it signalled are gone. */
const POLL_MS = 50;
/** KILL rounds: a process forking just before its KILL leaves a child for the next round. */
const MAX_KILL_ROUNDS = 10;
/** How long to watch KILLed processes vanish (they cannot refuse; this only bounds a stuck one). */
const KILL_WAIT_MS = 2_000;

/** Without /proc (macOS) only whole groups can be signalled, as before tracking existed. */
const HAS_PROC = isProcScanAvailable();

/** A new spawn id: random, so a process carrying it can only be one of ours (no pid reuse). */
export function createSpawnId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * The BOSUN_SPAWN_ID value for a child: the ids it inherited, then its own. Keeping the outer ids
 * means a bosun running under another one (bosun's own tests as a verify command) stays inside
 * the outer sweep.
 */
export function appendSpawnId(inherited: string | undefined, spawnId: string): string {
  return inherited === undefined || inherited === "" ? spawnId : `${inherited} ${spawnId}`;
}

/** Sends `signal` to every live process of `trees`; returns how many there were. */
export function signalTrees(trees: readonly SpawnTree[], signal: NodeJS.Signals): number {
  if (!HAS_PROC) return signalGroups(trees, signal);
  const pids = findTreePids(trees);
  for (const pid of pids) killQuietly(pid, signal);
  return pids.length;
}

/**
 * Ends `trees`: TERM now; then, once they are gone or `deadline` (on the `performance.now()`
 * clock; default now + `graceMs`) has passed, KILL whatever is left. Resolves when nothing of
 * them runs any more, with the number of processes found at the start (0: nothing to end).
 */
export async function sweepTrees(
  trees: readonly SpawnTree[],
  options: { graceMs: number; deadline?: number },
): Promise<number> {
  const deadline = options.deadline ?? performance.now() + options.graceMs;
  const found = signalTrees(trees, "SIGTERM");
  if (found === 0) return 0;
  if (await waitUntilGone(trees, deadline)) return found;
  killTreesSync(trees);
  await waitUntilGone(trees, performance.now() + KILL_WAIT_MS);
  return found;
}

/** KILLs every process of `trees`, synchronously (for bosun's exit handler). */
export function killTreesSync(trees: readonly SpawnTree[]): void {
  if (!HAS_PROC) {
    signalGroups(trees, "SIGKILL");
    return;
  }
  const killed = new Set<number>();
  for (let round = 0; round < MAX_KILL_ROUNDS; round += 1) {
    const fresh = findTreePids(trees).filter((pid) => !killed.has(pid));
    if (fresh.length === 0) return;
    for (const pid of fresh) {
      killQuietly(pid, "SIGKILL");
      killed.add(pid);
    }
  }
}

/** Polls until no process of `trees` is left (true) or `deadline` passes (false). */
async function waitUntilGone(trees: readonly SpawnTree[], deadline: number): Promise<boolean> {
  for (;;) {
    if (countLive(trees) === 0) return true;
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, remainingMs)));
  }
}

function countLive(trees: readonly SpawnTree[]): number {
  return HAS_PROC ? findTreePids(trees).length : signalGroups(trees, 0);
}

/** Signals each tree's group (signal 0 only probes); returns how many groups still exist. */
function signalGroups(trees: readonly SpawnTree[], signal: NodeJS.Signals | 0): number {
  let alive = 0;
  for (const tree of trees) {
    if (tree.groupId !== undefined && killQuietly(-tree.groupId, signal)) alive += 1;
  }
  return alive;
}

/** Sends a signal; false when there was no such process (or group). */
function killQuietly(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    // ESRCH: already gone, which is the outcome we want.
    return false;
  }
}
