/**
 * Whole-file JSON documents: validated reads (null when absent) and atomic writes
 * (temp file in the same directory, fsync, rename), so a crash never leaves half a file.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { StateError, getErrorMessage, isNodeError } from "../errors.js";
import { createStateFsError } from "./fs-errors.js";

/** Reads and validates a JSON file; returns null when it does not exist. */
export async function readJson<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<z.infer<S> | null> {
  const text = await readTextOrNull(file);
  return text === null ? null : parseJsonText(text, schema, file);
}

/**
 * Reads a text file; null when it does not exist. Anything else in the way (a directory, a
 * symlink loop, no permission) is a StateError naming the file.
 */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return null;
    throw createStateFsError("read", file, error);
  }
}

/** Parses JSON text against a schema, with errors naming the file and the dot-paths at fault. */
export function parseJsonText<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError(`Invalid ${file}: not valid JSON (${getErrorMessage(error)}).`, {
      cause: error,
    });
  }
  return parseWithSchema(data, schema, file);
}

/** Validates data against a schema; throws a StateError listing `dot.path: message` issues. */
export function parseWithSchema<S extends z.ZodType>(
  data: unknown,
  schema: S,
  source: string,
): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new StateError(`Invalid ${source}: ${formatIssues(result.error.issues)}.`);
  }
  return result.data;
}

/** Formats zod issues as `a.b: message; c: message`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "(root)";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/** Validates, then writes atomically (tmp + fsync + rename). Creates the directory if needed. */
export async function writeJsonAtomic<S extends z.ZodType>(
  file: string,
  schema: S,
  value: z.infer<S>,
): Promise<void> {
  const checked = parseWithSchema(value, schema, file);
  await writeTextAtomic(file, `${JSON.stringify(checked, null, 2)}\n`);
}

/** Counts this process's temp files, so no two writes in flight ever share one. */
let tmpCounter = 0;

/** Opens a new file for writing, making its folder only when it is missing (most writes go to one that exists). */
async function openCreatingDir(file: string): Promise<FileHandle> {
  try {
    return await open(file, "w");
  } catch (error) {
    if (!(isNodeError(error) && error.code === "ENOENT")) throw error;
    await mkdir(path.dirname(file), { recursive: true });
    return open(file, "w");
  }
}

/**
 * Writes a text file atomically; a path in the way is a StateError naming the file. Each write
 * has its own temp file (pid, counter, random): two writes of one file in flight at once would
 * otherwise write into, rename and delete each other's temp file.
 */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  tmpCounter += 1;
  const tmp = `${file}.${process.pid}.${tmpCounter}.${randomBytes(3).toString("hex")}.tmp`;
  try {
    const handle = await openCreatingDir(tmp);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    // The temp file is ours alone; removing it (or finding nothing there) is always safe.
    await rm(tmp, { force: true }).catch(() => undefined);
    if (!isNodeError(error)) throw error;
    throw createStateFsError("write", file, error);
  }
}

/**
 * Writes a text file only if none is at `file` yet: the text goes to a temp file that is then
 * hard-linked to the name, so a reader never sees half a file and an existing one is never
 * replaced (of two writers at once, one wins). Returns false when the name was taken.
 */
export async function writeTextIfAbsent(file: string, text: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(tmp, file);
    return true;
  } catch (error) {
    if (isNodeError(error) && error.code === "EEXIST" && error.syscall === "link") return false;
    throw createStateFsError("write", file, error);
  } finally {
    // The temp name is this write's alone; removing it (or finding nothing) is always safe.
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
