/**
 * `bosun _ answer ID TEXT|-`: records an answer through the same function as `bosun answer`
 * (checked against the ask's options; source "contract") and returns at once. The run continues
 * when something resumes it: the output names the command (`resumeCommand`).
 */
import { UsageError } from "../../errors.js";
import { recordAnswer } from "../../flows/human-actions.js";
import { getResumeCommand } from "../../flows/resume-command.js";
import { isSafeId } from "../../store/paths.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import { readRun } from "../../store/run-read.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import type { CliContext } from "../context.js";
import { assertNotPulseWorker } from "../human-only.js";
import { readStdinText } from "../stdin.js";
import { printContract } from "./output.js";

/** The most bytes an answer read from stdin may have: an answer is a line or a paragraph. */
const MAX_STDIN_BYTES = 1024 * 1024;

/** Where the answer text comes from: the argument, or stdin for "-". */
export interface ContractAnswerOptions {
  /** A note passed to the next round's worker or producer. */
  note?: string;
  /** Reads stdin whole (injected by tests). */
  readStdin?: () => Promise<string>;
}

/** Records the answer; prints it with how the run continues. */
export async function runContractAnswer(
  ctx: CliContext,
  askId: string,
  text: string,
  options: ContractAnswerOptions = {},
): Promise<number> {
  if (!isSafeId(askId)) {
    throw new UsageError(
      `Invalid ask id ${JSON.stringify(askId)} (the ID argument): an ask id is letters, digits, ".", "_" and "-". List open asks with "bosun _ asks".`,
    );
  }
  assertNotPulseWorker(`bosun _ answer ${askId}`);
  const answerText = text === "-" ? await (options.readStdin ?? readStdin)() : text;
  if (answerText.trim() === "") {
    throw new UsageError(
      `The answer to ${askId} is empty. Give one of the ask's options (bosun _ asks lists them), or text on stdin with "-".`,
    );
  }
  const paths = await ctx.getStatePaths();
  const { answer, runId } = await recordAnswer(paths, {
    askId,
    answer: answerText,
    ...(options.note === undefined ? {} : { note: options.note }),
    source: "contract",
  });
  if (runId === PULSE_ASK_RUN_ID) {
    printContract("answer", {
      answer,
      runId,
      runStatus: null,
      isRunLive: (await readLiveLockHolder(paths.pulse.daemonPidFile)) !== undefined,
      resumeCommand: null,
    });
    return 0;
  }
  const run = await readRun(paths, runId);
  printContract("answer", {
    answer,
    runId,
    runStatus: run?.status ?? null,
    isRunLive: (await readLiveLockHolder(paths.lockFile(runId))) !== undefined,
    // A run without run.json yet was just created; every run's journal starts with its flow.
    resumeCommand: getResumeCommand(run?.flow ?? "review", runId),
  });
  return 0;
}

/** All of stdin as text, one trailing newline dropped (`echo more | bosun _ answer ID -`). */
async function readStdin(): Promise<string> {
  const text = await readStdinText(
    MAX_STDIN_BYTES,
    `The answer on stdin is over ${MAX_STDIN_BYTES} bytes. An answer is an option key or a short text.`,
  );
  return text.replace(/\r?\n$/, "");
}
