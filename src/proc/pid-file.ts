/**
 * Pid files: a child's process-group id on disk while it runs, so that if bosun itself dies
 * (kill -9) the next bosun can find what it left running and end it instead of racing it. The file
 * also holds the process's start time (Linux /proc), so a pid reused by an unrelated process since
 * is never killed by mistake, and the spawn id of a tracked child, which finds the processes that
 * left its group (see tree-kill.ts).
 */
import { writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { formatProcessIdentity, isPidReused, parseProcessIdentity } from "./liveness.js";
import { readStartTime } from "./proc-scan.js";
import { sweepTrees, type SpawnTree } from "./tree-kill.js";

/**
 * Writes `<pid> <start time> [<spawn id>]` synchronously (called right after spawn). The start
 * time is read from /proc unless the caller already has it.
 */
export function writePidFileSync(
  file: string,
  pid: number,
  options: { spawnId?: string | undefined; startTime?: string | undefined } = {},
): void {
  const startTime = options.startTime ?? readStartTime(pid);
  const fields = [
    formatProcessIdentity({ pid, startTime }),
    ...(options.spawnId === undefined ? [] : [options.spawnId]),
  ];
  writeFileSync(file, `${fields.join(" ")}\n`);
}

/**
 * Ends what the spawn named in `file` left running — its process group and, for a tracked spawn,
 * every process carrying its spawn id — with TERM, then KILL after `graceMs`, and removes the
 * file. Returns true when something was found alive. A missing or garbled file, or a dead pid,
 * means there is nothing of ours to end; a pid now owned by another process (its start time
 * differs) is left alone.
 */
export async function killSpawnFromPidFile(file: string, graceMs: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    // No pid file: nothing was running there.
    return false;
  }
  const identity = parseProcessIdentity(text);
  if (identity === undefined || identity.pid === process.pid) {
    await rm(file, { force: true });
    return false;
  }
  const spawnId = text.trim().split(/\s+/)[2];
  // Not `isSameLiveProcess`: a dead leader's group may still have members to end. Only a pid
  // now owned by another process (its start time differs) is no longer ours.
  const isReused = isPidReused(identity);
  // The spawn id is random, so processes carrying it are ours even when the pid was reused.
  const tree: SpawnTree = {
    groupId: isReused ? undefined : identity.pid,
    spawnId,
    startTime: identity.startTime,
    seen: new Map(),
  };
  const found = await sweepTrees([tree], { graceMs });
  // Removed only once all is gone: a bosun killed during the grace leaves the trace for the next.
  await rm(file, { force: true });
  return found > 0;
}
