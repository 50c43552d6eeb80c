/**
 * Finds a spawn's processes through Linux /proc, including those that left its process group
 * (`setsid`, as Claude Code's Bash tool does): by group, by the spawn id in their environment, and
 * by descent. Synchronous, so bosun's exit handler can use it too.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";

/** The variable that carries spawn ids into a tracked child's environment (see tree-kill.ts). */
export const SPAWN_ID_VAR = "BOSUN_SPAWN_ID";

/** What identifies one spawn's processes. */
export interface SpawnTree {
  /** Its process group (the child's pid, when it leads its own group). */
  groupId?: number | undefined;
  /** The unique id in its environment's BOSUN_SPAWN_ID, inherited by everything it starts. */
  spawnId?: string | undefined;
  /**
   * The child's start time (as in `readStartTime`), when known: nothing started before it can
   * carry its spawn id, so older processes' environments need not be read.
   */
  startTime?: string | undefined;
  /**
   * Processes found in earlier scans (pid → start time), filled in by `findTreePids`: one found
   * only by descent (its environment scrubbed) stays found after its parent dies and it is orphaned.
   */
  seen?: Map<number, string>;
}

/** Most environments fit; a bigger one is read whole (see `readProcFile`). */
const PROC_BUFFER_BYTES = 64 * 1024;
const procBuffer = Buffer.alloc(PROC_BUFFER_BYTES);
const SPAWN_ID_ENTRY = Buffer.from(`${SPAWN_ID_VAR}=`);

/** True where /proc can be scanned (Linux); elsewhere only group kills are possible. */
export function isProcScanAvailable(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    // Not Linux (or /proc not mounted).
    return false;
  }
}

/**
 * The live pids belonging to any of `trees`: members of their groups, processes whose
 * environment carries one of their spawn ids, processes seen before, and every descendant of
 * those. Never bosun itself; zombies (dead, only waiting to be reaped) are left out. Empty
 * without /proc.
 *
 * Cost, measured on the 2-core dev machine (Node 20, load 3), median per scan: 1.4 ms with 85
 * processes, 6 ms with 285 (one stat read each, and an environ read for those not older than the
 * tree; reading every environ cost 3.4 and 12 ms). So it runs only for tracked spawns, when one
 * is killed or ends (and while a kill waits for its grace), never for short commands such as git.
 */
export function findTreePids(trees: readonly SpawnTree[]): number[] {
  if (trees.every((tree) => tree.groupId === undefined && tree.spawnId === undefined)) return [];
  const idTrees = trees.filter((tree) => tree.spawnId !== undefined);
  // Environments are read only where one could hold a spawn id (Infinity: nowhere).
  const minIdStartTicks = Math.min(...idTrees.map((tree) => Number(tree.startTime ?? 0) || 0));
  const table = readProcessTable(minIdStartTicks);
  const childrenOf = new Map<number, ProcessRow[]>();
  for (const row of table) {
    const siblings = childrenOf.get(row.ppid);
    if (siblings === undefined) childrenOf.set(row.ppid, [row]);
    else siblings.push(row);
  }
  const all = new Set<number>();
  for (const tree of trees) {
    const found = new Map<number, ProcessRow>();
    for (const row of table) if (isTreeRoot(tree, row)) found.set(row.pid, row);
    // A process that scrubbed its environment but has not been orphaned is still found by descent.
    const queue = [...found.values()];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const child of childrenOf.get(next.pid) ?? []) {
        if (found.has(child.pid)) continue;
        found.set(child.pid, child);
        queue.push(child);
      }
    }
    for (const row of found.values()) {
      tree.seen?.set(row.pid, row.startTime);
      all.add(row.pid);
    }
  }
  return [...all];
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), if known. */
export function readStartTime(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/**
 * A process's state letter (field 3 of /proc/<pid>/stat: "R", "S", "Z" for a zombie, …) and its
 * start time, from one read; undefined when /proc cannot tell (no such process, or no /proc).
 */
export function readProcessStatus(
  pid: number,
): { state: string; startTime: string | undefined } | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : { state: stat.state, startTime: stat.startTime };
}

/** One live process as the scan saw it. */
interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  startTime: string;
  /** The ids in its BOSUN_SPAWN_ID (empty when unread or unset). */
  spawnIds: readonly string[];
}

function isTreeRoot(tree: SpawnTree, row: ProcessRow): boolean {
  return (
    row.pgid === tree.groupId ||
    (tree.spawnId !== undefined && row.spawnIds.includes(tree.spawnId)) ||
    tree.seen?.get(row.pid) === row.startTime
  );
}

/**
 * Every live process but bosun itself. Environments are read only of processes started at or
 * after `minIdStartTicks`: on a busy machine most processes are older than any agent.
 */
function readProcessTable(minIdStartTicks: number): ProcessRow[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    // No /proc: nothing can be found this way.
    return [];
  }
  const rows: ProcessRow[] = [];
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const stat = readStat(pid);
    if (stat === undefined || stat.state === "Z" || stat.state === "X") continue;
    const { ppid, pgid, startTime = "" } = stat;
    const spawnIds = Number(startTime) >= minIdStartTicks ? readSpawnIds(pid) : [];
    rows.push({ pid, ppid, pgid, startTime, spawnIds });
  }
  return rows;
}

interface StatFields {
  state: string;
  ppid: number;
  pgid: number;
  startTime: string | undefined;
}

function readStat(pid: number): StatFields | undefined {
  const stat = readProcFile(pid, "stat");
  if (stat === undefined) return undefined;
  const text = stat.toString("latin1");
  // The command name (field 2) is in parentheses and may hold spaces; count from after it.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    state: fields[0] ?? "",
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTime: fields[19],
  };
}

/** The ids in the process's BOSUN_SPAWN_ID (a space-separated list); empty when unreadable. */
function readSpawnIds(pid: number): string[] {
  const environ = readProcFile(pid, "environ");
  if (environ === undefined) return [];
  let start = environ.indexOf(SPAWN_ID_ENTRY);
  // Only a match at the start of an entry counts, not one inside another variable's value.
  while (start > 0 && environ[start - 1] !== 0) start = environ.indexOf(SPAWN_ID_ENTRY, start + 1);
  if (start < 0) return [];
  const valueStart = start + SPAWN_ID_ENTRY.length;
  const end = environ.indexOf(0, valueStart);
  return environ.toString("latin1", valueStart, end < 0 ? environ.length : end).split(" ");
}

/**
 * `/proc/<pid>/<name>` (for environ: the initial environment, NUL-separated), or undefined when it
 * cannot be read (gone, another user's process). Read into one reused buffer, valid until the
 * next call: a fresh readFileSync per file made a scan about three times slower.
 */
function readProcFile(pid: number, name: "stat" | "environ"): Buffer | undefined {
  const file = `/proc/${pid}/${name}`;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    // Gone, or not ours to read: then it is no process of ours we could signal anyway.
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      const read = readSync(fd, procBuffer, length, PROC_BUFFER_BYTES - length, null);
      if (read === 0) return procBuffer.subarray(0, length);
      length += read;
      if (length === PROC_BUFFER_BYTES) return readFileSync(file);
    }
  } catch {
    // The process exited mid-read.
    return undefined;
  } finally {
    closeSync(fd);
  }
}
