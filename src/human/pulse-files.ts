/**
 * The pulse's plain files a human and the loop both edit: goals (`goals/<id>.md`, archived, never
 * deleted), the playbook (`PLAYBOOK.md`, every earlier version kept) and sensors (executables
 * under `sensors/`). Each write is atomic, so the loop never reads half a file.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "../store/fs-errors.js";
import { readTextOrNull, writeTextAtomic } from "../store/json-file.js";
import { SAFE_ID_RULE, isSafeId, type BosunPaths } from "../store/paths.js";
import { INTERVAL_HEADER, readIntervalHeader } from "../store/sensor-header.js";

/** A goal: its id (the file name without `.md`) and its text. */
export interface PulseGoal {
  /** `goals/<id>.md`'s name. */
  id: string;
  /** The desired state, as written. */
  text: string;
}

/** A sensor as listed. */
export interface PulseSensor {
  /** Its file name under `sensors/`. */
  name: string;
  /** Its `# bosun:interval=<s>` header, when it has one. */
  intervalSec?: number;
  /** Whether it may run (a sensor that is not is recorded as failing). */
  isExecutable: boolean;
}

/** What `writePlaybook` did. */
export interface PlaybookWrite {
  /** False when the text was already the playbook's: nothing was written. */
  isChanged: boolean;
  /** Where the replaced version was kept, when there was one. */
  previousVersionFile?: string;
}

/**
 * `# bosun:interval=<s>`: a reading stays fresh this long (the sense step reads the same header,
 * in flows/pulse/sense.ts, from the first 4 KiB of the file).
 */
/** Writes (or replaces) `goals/<id>.md`. */
export async function writeGoal(paths: BosunPaths, id: string, text: string): Promise<string> {
  const file = paths.pulse.goalFile(id);
  await writeTextAtomic(file, text);
  return file;
}

/**
 * Moves `goals/<id>.md` to `goals/archive/<id>-<stamp>.md` (never deletes it); returns where.
 * A StateError when there is no such goal.
 */
export async function archiveGoal(
  paths: BosunPaths,
  id: string,
  now: Date = new Date(),
): Promise<string> {
  const file = paths.pulse.goalFile(id);
  const archived = path.join(paths.pulse.archivedGoalsDir, `${id}-${formatFileStamp(now)}.md`);
  try {
    await mkdir(paths.pulse.archivedGoalsDir, { recursive: true });
    await rename(file, archived);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT")
      throw new StateError(
        `No goal "${id}" to archive (${file}). List the goals with "bosun _ goal list".`,
      );
    throw createStateFsError("write", archived, error);
  }
  return archived;
}

/** The active goals, sorted by id (archived ones are not listed). */
export async function listGoals(paths: BosunPaths): Promise<PulseGoal[]> {
  const names = await listFileNames(paths.pulse.goalsDir);
  const goals: PulseGoal[] = [];
  for (const name of names.filter((entry) => entry.endsWith(".md"))) {
    const text = await readTextOrNull(path.join(paths.pulse.goalsDir, name));
    // Gone between the listing and the read: archived meanwhile, no longer a goal.
    if (text !== null) goals.push({ id: name.slice(0, -".md".length), text });
  }
  return goals;
}

/** PLAYBOOK.md's text, "" when there is none. */
export async function readPlaybook(paths: BosunPaths): Promise<string> {
  return (await readTextOrNull(paths.pulse.playbookFile)) ?? "";
}

/**
 * Replaces PLAYBOOK.md, first keeping the version it replaces as
 * `playbook-history/<ISO stamp>.md`. The same text again writes nothing (and keeps no version).
 */
export async function writePlaybook(
  paths: BosunPaths,
  text: string,
  now: Date = new Date(),
): Promise<PlaybookWrite> {
  const file = paths.pulse.playbookFile;
  const previous = await readTextOrNull(file);
  if (previous === text) return { isChanged: false };
  let previousVersionFile: string | undefined;
  if (previous !== null) {
    previousVersionFile = await keepPlaybookVersion(paths, now);
  }
  await writeTextAtomic(file, text);
  return {
    isChanged: true,
    ...(previousVersionFile === undefined ? {} : { previousVersionFile }),
  };
}

/**
 * Copies PLAYBOOK.md into the history, create-only: two versions in one millisecond both stay
 * (the second as `<stamp>_1.md`, which sorts after the first).
 */
async function keepPlaybookVersion(paths: BosunPaths, now: Date): Promise<string> {
  const dir = paths.pulse.playbookHistoryDir;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw createStateFsError("create", dir, error);
  }
  const stamp = now.toISOString().replace(/:/g, "-");
  for (let attempt = 0; ; attempt += 1) {
    const kept = path.join(dir, attempt === 0 ? `${stamp}.md` : `${stamp}_${attempt}.md`);
    try {
      await copyFile(paths.pulse.playbookFile, kept, constants.COPYFILE_EXCL);
      return kept;
    } catch (error) {
      if (isNodeError(error) && error.code === "EEXIST" && attempt < 100) continue;
      throw createStateFsError("write", kept, error);
    }
  }
}

/**
 * Writes an executable sensor, atomically and already executable (the loop never sees it half
 * written or not runnable). With `intervalSec`, a `# bosun:interval=<s>` header goes after the
 * shebang, replacing any such header the script had.
 */
export async function writeSensor(
  paths: BosunPaths,
  name: string,
  script: string,
  intervalSec?: number,
): Promise<string> {
  assertSensorName(name);
  if (intervalSec !== undefined && !(Number.isFinite(intervalSec) && intervalSec > 0))
    throw new UsageError(
      `Invalid interval ${intervalSec} for sensor "${name}": give a number of seconds above 0.`,
    );
  const file = path.join(paths.pulse.sensorsDir, name);
  const text = intervalSec === undefined ? script : setIntervalHeader(script, intervalSec);
  await writeExecutableAtomic(file, text);
  return file;
}

/** The sensors, sorted by name: every file but hidden ones and notes (`*.md`), as the loop runs them. */
export async function listSensors(paths: BosunPaths): Promise<PulseSensor[]> {
  const sensors: PulseSensor[] = [];
  for (const name of await listFileNames(paths.pulse.sensorsDir)) {
    if (!isSensorName(name)) continue;
    const file = path.join(paths.pulse.sensorsDir, name);
    try {
      const info = await stat(file);
      const intervalSec = await readIntervalHeader(file);
      sensors.push({
        name,
        ...(intervalSec === undefined ? {} : { intervalSec }),
        isExecutable: (info.mode & 0o111) !== 0,
      });
    } catch (error) {
      // Removed between the listing and the look: no longer a sensor.
      if (isNodeError(error) && error.code === "ENOENT") continue;
      throw createStateFsError("read", file, error);
    }
  }
  return sensors;
}

/** Refuses a name the loop would not run as a sensor, or one that is no plain file name. */
function assertSensorName(name: string): void {
  if (!isSensorName(name))
    throw new UsageError(
      `Invalid sensor name ${JSON.stringify(name)}: the loop skips names starting with "." and notes ending ".md". Choose another name.`,
    );
  if (!isSafeId(name))
    throw new UsageError(`Invalid sensor name ${JSON.stringify(name)}: ${SAFE_ID_RULE}.`);
}

function isSensorName(name: string): boolean {
  return !name.startsWith(".") && !name.endsWith(".md");
}

/** The script with one `# bosun:interval=<s>` header, on the line after its shebang (or first). */
function setIntervalHeader(script: string, intervalSec: number): string {
  const lines = script.split("\n").filter((line) => !INTERVAL_HEADER.test(line));
  const header = `# bosun:interval=${intervalSec}`;
  const at = lines[0]?.startsWith("#!") === true ? 1 : 0;
  lines.splice(at, 0, header);
  return lines.join("\n");
}

/**
 * Like writeTextAtomic, with mode 0755 set on the temp file before it takes the name. The temp
 * name is hidden (a leading "."), so a beat listing the folder meanwhile never runs it.
 */
async function writeExecutableAtomic(file: string, text: string): Promise<void> {
  const hidden = `.${path.basename(file)}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  const tmp = path.join(path.dirname(file), hidden);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(tmp, "wx", 0o755);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have taken bits away at open.
    await chmod(tmp, 0o755);
    await rename(tmp, file);
  } catch (error) {
    // The temp name is this write's alone; removing it (or finding nothing) is always safe.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw createStateFsError("write", file, error);
  }
}

/** The plain files in `dir`, sorted; none when it does not exist. */
async function listFileNames(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", dir, error);
  }
}

/** `20261203T134500123Z`: a time for file names, sorting as it reads. */
function formatFileStamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, "");
}
