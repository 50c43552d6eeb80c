/**
 * The durable human mailbox. A loop writes an ask; a human answers it from any channel by
 * writing the answer file (the CLI verb `bosun answer` is one such channel). Nothing blocks on
 * a terminal: a run that needs a human stops as `needs_human` and continues from the answer.
 */
import { randomBytes } from "node:crypto";
import { readdir, rename } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "../store/fs-errors.js";
import {
  parseWithSchema,
  readJson,
  writeJsonAtomic,
  writeTextIfAbsent,
} from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { tryAcquireRunLock } from "../store/run-lock.js";
import { AnswerSchema, AskSchema, type Answer, type Ask } from "../store/schema/asks.js";

/** An ask together with its answer, if any. */
export interface AskWithAnswer {
  /** The question. */
  ask: Ask;
  /** The answer, or null while open. */
  answer: Answer | null;
  /**
   * Why the answer file does not answer the ask (not one of its options), when it does not.
   * Any tool or person may write that file, so it is checked here, never trusted; the ask stays
   * open until a valid answer replaces it.
   */
  answerProblem?: string;
}

/** Creates an ask id such as `ask-20261122-125012-ab12`. */
export function createAskId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `ask-${stamp}-${randomBytes(2).toString("hex")}`;
}

/** Writes a new ask. */
export async function writeAsk(paths: BosunPaths, ask: Ask): Promise<void> {
  await writeJsonAtomic(paths.askFile(ask.id), AskSchema, ask);
}

/** Reads one ask and its answer; throws when the ask does not exist. */
export async function readAsk(paths: BosunPaths, askId: string): Promise<AskWithAnswer> {
  const ask = await readJson(paths.askFile(askId), AskSchema);
  if (ask === null)
    throw new StateError(
      `Ask "${askId}" not found in ${paths.asksDir}. List open asks with "bosun asks".`,
    );
  const answerFile = paths.answerFile(askId);
  const answer = await readJson(answerFile, AnswerSchema);
  const problem = answer === null ? undefined : getAnswerProblem(ask, answer.answer);
  if (problem === undefined) return { ask, answer };
  return { ask, answer, answerProblem: `${answerFile}: ${problem}` };
}

/** Why `key` is not an answer to `ask` (not one of its options), or undefined when it is. */
export function getAnswerProblem(ask: Ask, key: string): string | undefined {
  if (ask.options.length === 0 || ask.options.some((option) => option.key === key))
    return undefined;
  const choices = ask.options.map((option) => `"${option.key}" (${option.label})`).join(", ");
  return `"${key}" is not an answer to ${ask.id}. Choose one of: ${choices}`;
}

/** Lists asks, oldest first; `isOpenOnly` keeps those without an answer. */
export async function listAsks(paths: BosunPaths, isOpenOnly: boolean): Promise<AskWithAnswer[]> {
  let names: string[];
  try {
    names = (await readdir(paths.asksDir)).filter((name) => name.endsWith(".json")).sort();
  } catch (error) {
    // No asks directory yet: nobody has asked anything. Anything else in the way is damage.
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.asksDir, error);
  }
  const all = await Promise.all(
    names.map((name) => readAsk(paths, name.slice(0, -".json".length))),
  );
  return isOpenOnly ? all.filter(isOpen) : all;
}

/** True while a human still has to answer: no answer yet, or one that is not an option. */
export function isOpen(item: AskWithAnswer): boolean {
  return item.answer === null || item.answerProblem !== undefined;
}

/** How many times a write re-reads the answer file when it changed under it before giving up. */
const MAX_ANSWER_ATTEMPTS = 3;

/**
 * Validates an answer against the ask's options and writes it. Refuses a second answer, except
 * in place of one that is not an option (written by hand or by another tool). The write is
 * create-only, so of two channels answering at once exactly one succeeds and the other is told
 * the ask was already answered; a check-then-rename would let the later write silently win.
 */
export async function writeAnswer(
  paths: BosunPaths,
  askId: string,
  answer: string,
  options: { note?: string; source?: string } = {},
): Promise<Answer> {
  const file = paths.answerFile(askId);
  for (let attempt = 1; ; attempt += 1) {
    const current = await readAsk(paths, askId);
    throwIfAnswered(current);
    const key = answer.trim();
    const problem = getAnswerProblem(current.ask, key);
    if (problem !== undefined) throw new UsageError(`${problem}.`);
    const record: Answer = parseWithSchema(
      {
        version: 1,
        askId,
        answer: key,
        ...(options.note === undefined ? {} : { note: options.note }),
        answeredAt: new Date().toISOString(),
        source: options.source ?? "cli",
      },
      AnswerSchema,
      file,
    );
    const text = `${JSON.stringify(record, null, 2)}\n`;
    const isWritten =
      current.answer === null
        ? await writeTextIfAbsent(file, text)
        : await replaceInvalidAnswer(paths, askId, text);
    if (isWritten) return record;
    // Someone wrote the file between the read and the write: read it again, which names their
    // answer (or, if theirs is not an option either, replaces it).
    if (attempt >= MAX_ANSWER_ATTEMPTS)
      throw new StateError(
        `Ask ${askId}'s answer file ${file} kept changing while it was being answered; check it with "bosun asks --all" and try again.`,
      );
  }
}

function throwIfAnswered(current: AskWithAnswer): void {
  const { ask, answer } = current;
  if (answer !== null && current.answerProblem === undefined)
    throw new StateError(
      `Ask ${ask.id} was already answered "${answer.answer}" at ${answer.answeredAt}.`,
    );
}

/**
 * Replaces an answer file that holds no option. Two writers doing this at once must not both
 * succeed (the second would move the first's valid answer aside), so the move is done under a
 * pid lock beside the file, after reading the file again: under the lock only an invalid answer
 * is ever moved, and the new one is still linked create-only (a fresh answer may land first).
 */
async function replaceInvalidAnswer(
  paths: BosunPaths,
  askId: string,
  text: string,
): Promise<boolean> {
  const file = paths.answerFile(askId);
  // A run lock's mechanism (pid + start time, stale holders taken over), not a run's lock.
  const attempt = await tryAcquireRunLock(`${file}.lock`);
  if (attempt.type === "held")
    throw new StateError(
      `Ask ${askId} is being answered by process ${attempt.holder.pid} right now (${attempt.file}); see its answer with "bosun asks --all".`,
    );
  try {
    const current = await readAsk(paths, askId);
    if (current.answer !== null && current.answerProblem === undefined) return false;
    if (current.answer !== null) {
      // Kept, not deleted: someone wrote it, and what they meant may be worth reading.
      const aside = `${file}.invalid-${Date.now()}-${randomBytes(2).toString("hex")}`;
      try {
        await rename(file, aside);
      } catch (error) {
        if (!isNodeError(error) || error.code !== "ENOENT")
          throw createStateFsError("write", file, error);
      }
    }
    return await writeTextIfAbsent(file, text);
  } finally {
    await attempt.lock.release();
  }
}
