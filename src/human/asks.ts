/**
 * The durable human mailbox. A loop writes an ask; a human answers it from any channel by
 * writing the answer file (the CLI verb `bosun answer` is one such channel). Nothing blocks on
 * a terminal: a run that needs a human stops as `needs_human` and continues from the answer.
 */
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "../store/fs-errors.js";
import { readJson, writeJsonAtomic } from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
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

/**
 * Validates an answer against the ask's options and writes it. Refuses a second answer, except
 * in place of one that is not an option (written by hand or by another tool).
 */
export async function writeAnswer(
  paths: BosunPaths,
  askId: string,
  answer: string,
  options: { note?: string; source?: string } = {},
): Promise<Answer> {
  const current = await readAsk(paths, askId);
  const { ask, answer: existing } = current;
  if (existing !== null && current.answerProblem === undefined) {
    throw new StateError(
      `Ask ${askId} was already answered "${existing.answer}" at ${existing.answeredAt}.`,
    );
  }
  const key = answer.trim();
  const problem = getAnswerProblem(ask, key);
  if (problem !== undefined) throw new UsageError(`${problem}.`);
  const record: Answer = {
    version: 1,
    askId,
    answer: key,
    ...(options.note === undefined ? {} : { note: options.note }),
    answeredAt: new Date().toISOString(),
    source: options.source ?? "cli",
  };
  await writeJsonAtomic(paths.answerFile(askId), AnswerSchema, record);
  return record;
}
