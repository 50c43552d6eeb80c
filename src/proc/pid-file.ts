/**
 * Pid files: a child's process-group id on disk while it runs, so that if bosun itself dies
 * (kill -9) the next bosun can find that group and end it instead of racing it.
 */
import { readFile, rm } from "node:fs/promises";

/**
 * Kills (SIGKILL) the process group named in `file`, then removes the file. Returns true when a
 * live group was found. A missing or garbled file means there is nothing to kill.
 */
export async function killGroupFromPidFile(file: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(file, "utf8"), 10);
  } catch {
    // No pid file: nothing was running there.
    return false;
  }
  await rm(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    // ESRCH: the group already ended.
    return false;
  }
}
