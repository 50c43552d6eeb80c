/**
 * Is a process still alive, and is it still the one we recorded? A process is known by its pid
 * and, where Linux /proc exists, its start time: pids are reused (quickly in containers, where
 * they restart at 1), so a pid alone may name an unrelated process that came later.
 */
import { isNodeError } from "../errors.js";
import { readProcessStatus, readStartTime } from "./proc-scan.js";

/** A process as recorded in a lock or pid file. */
export interface ProcessIdentity {
  /** Its pid. */
  pid: number;
  /** Its start time in clock ticks since boot (`readStartTime`); undefined where unknown. */
  startTime?: string | undefined;
}

/** This process, as others will see it in the files it writes. */
export function readOwnIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: readStartTime(process.pid) };
}

/**
 * True when a process with this pid exists and runs (EPERM means it exists but is not ours). A
 * zombie, dead and only waiting for its parent to reap it, is not alive: in a container whose
 * pid 1 never reaps, a killed bosun stays a zombie for good and would otherwise hold its locks.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (!isNodeError(error) || error.code !== "EPERM") return false;
  }
  const state = readProcessStatus(pid)?.state;
  return state !== "Z" && state !== "X";
}

/**
 * True when the pid now belongs to another process than the recorded one: both start times are
 * known and differ. False when the pid is free or either start time is unknown.
 */
export function isPidReused(identity: ProcessIdentity): boolean {
  if (identity.startTime === undefined) return false;
  const current = readStartTime(identity.pid);
  return current !== undefined && current !== identity.startTime;
}

/**
 * True when the recorded process is still running: its pid is alive and, when both start times
 * are known, it started when the record says (so it is not a later process given the same pid).
 */
export function isSameLiveProcess(identity: ProcessIdentity): boolean {
  return isProcessAlive(identity.pid) && !isPidReused(identity);
}

/** `<pid> <start time>` ("-" for an unknown start time), the text lock and pid files begin with. */
export function formatProcessIdentity(identity: ProcessIdentity): string {
  return `${identity.pid} ${identity.startTime ?? "-"}`;
}

/**
 * Reads `formatProcessIdentity`'s text (anything after the first two fields is ignored), and the
 * older one-number form, a bare pid. Undefined when the text names no pid.
 */
export function parseProcessIdentity(text: string): ProcessIdentity | undefined {
  const [pidText = "", startTime] = text.trim().split(/\s+/);
  if (!/^\d+$/.test(pidText)) return undefined;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: startTime === undefined || startTime === "-" ? undefined : startTime };
}
