/**
 * The tell mailbox: a human's message to a run's worker is a file, `.bosun/tells/<id>.json`,
 * written once by any process (the CLI, the monitor, the dashboard, a script). The run's own
 * process puts it into the next worker prompt, journals that, and moves the file under
 * `tells/delivered/`. Like asks, nothing blocks: a run that is not running takes its tells when
 * it is resumed.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename } from "node:fs/promises";
import path from "node:path";
import { StateError, getErrorMessage, isNodeError } from "../errors.js";
import { createStateFsError } from "../store/fs-errors.js";
import {
  parseJsonText,
  parseWithSchema,
  readTextOrNull,
  writeTextIfAbsent,
} from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { TellSchema, type Tell } from "../store/schema/tells.js";

/** A run's tells as found on disk, oldest first. */
export interface TellsOnDisk {
  /** Tells waiting for a worker prompt. */
  pending: Tell[];
  /** Tells already put into one (moved under `tells/delivered/`). */
  delivered: Tell[];
  /**
   * Files that are not a tell of this run (damaged, or written by hand wrongly), with why. They
   * are never delivered; the caller says so (a warning), since any tool may write that folder.
   */
  problems: string[];
}

/** The prefix of every tell id of `runId`: a run's tells are found by file name alone. */
export function getTellIdPrefix(runId: string): string {
  return `tell-${runId}-`;
}

/** Creates a tell id such as `tell-20261122-125012-a1b2-20261122125230123-9f3c` (sorts by time). */
export function createTellId(runId: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.TZ]/g, "");
  return `${getTellIdPrefix(runId)}${stamp}-${randomBytes(2).toString("hex")}`;
}

/**
 * Writes a new tell, create-only: the JSON goes to a temp file that is then hard-linked to its
 * name, so a reader never sees half a tell and an existing tell is never replaced.
 */
export async function writeTell(paths: BosunPaths, tell: Tell): Promise<void> {
  const file = paths.tellFile(tell.id);
  const checked = parseWithSchema(tell, TellSchema, file);
  if (!(await writeTextIfAbsent(file, `${JSON.stringify(checked, null, 2)}\n`)))
    throw new StateError(`Tell ${tell.id} already exists (${file}); nothing was written.`);
}

/** Reads every tell of `runId`, pending and delivered, oldest first. */
export async function readTells(paths: BosunPaths, runId: string): Promise<TellsOnDisk> {
  const problems: string[] = [];
  const pending = await readTellDir(paths.tellsDir, runId, problems);
  const delivered = await readTellDir(paths.deliveredTellsDir, runId, problems);
  return { pending, delivered, problems };
}

/**
 * Moves a delivered tell's file under `tells/delivered/`. Called only after its delivery is
 * journaled, so a file already moved (a second call after a crash) is no problem.
 */
export async function markTellDelivered(paths: BosunPaths, tellId: string): Promise<void> {
  const to = paths.deliveredTellFile(tellId);
  try {
    await mkdir(paths.deliveredTellsDir, { recursive: true });
    await rename(paths.tellFile(tellId), to);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return;
    throw createStateFsError("write", to, error);
  }
}

async function readTellDir(dir: string, runId: string, problems: string[]): Promise<Tell[]> {
  const prefix = getTellIdPrefix(runId);
  let names: string[];
  try {
    names = (await readdir(dir)).filter(
      (name) => name.startsWith(prefix) && name.endsWith(".json"),
    );
  } catch (error) {
    // No folder yet: nobody has told this repository's runs anything.
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", dir, error);
  }
  const tells: Tell[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    try {
      const text = await readTextOrNull(file);
      // Moved to delivered/ between the listing and the read: it is read there.
      if (text === null) continue;
      const tell = parseJsonText(text, TellSchema, file);
      if (tell.id !== name.slice(0, -".json".length) || tell.runId !== runId)
        problems.push(`${file}: its id or runId does not match its file name; it is ignored.`);
      else tells.push(tell);
    } catch (error) {
      problems.push(`${getErrorMessage(error)} It is ignored; fix or delete it.`);
    }
  }
  return tells;
}
