/**
 * Pid files: a child's process-group id on disk while it runs, so that if bosun itself dies
 * (kill -9) the next bosun can find that group and end it instead of racing it. The file also
 * holds the process's start time (Linux /proc), so a pid reused by an unrelated process since
 * is never killed by mistake.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";

/** Writes `<pid> <start time>` synchronously (called right after spawn, before anything else). */
export function writePidFileSync(file: string, pid: number): void {
  writeFileSync(file, `${pid} ${readStartTime(pid) ?? "-"}\n`);
}

/**
 * Kills (SIGKILL) the process group named in `file`, then removes the file. Returns true when a
 * live group was found. A missing or garbled file, a dead pid, or a pid now owned by another
 * process (its start time differs) means there is nothing of ours to kill.
 */
export async function killGroupFromPidFile(file: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    // No pid file: nothing was running there.
    return false;
  }
  await rm(file, { force: true });
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  const currentStart = readStartTime(pid);
  if (
    startTime !== undefined &&
    startTime !== "-" &&
    currentStart !== undefined &&
    currentStart !== startTime
  ) {
    return false;
  }
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    // ESRCH: the group already ended.
    return false;
  }
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), if known. */
function readStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces; count from after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    // Not Linux, or the process is gone: no start time to compare.
    return undefined;
  }
}
