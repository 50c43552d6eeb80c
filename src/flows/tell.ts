/**
 * Telling a run's worker something, as every surface does it (`bosun tell`, `bosun _ tell`, the
 * terminal monitor, the dashboard): check the run and task can still take it, then write the
 * tell to the mailbox. The run's own process delivers it with the next worker prompt
 * (`tell-delivery.ts`), so a tell needs no live run and no lock.
 */
import { StateError, UsageError } from "../errors.js";
import { createTellId, writeTell } from "../human/tells.js";
import { readBoard } from "../store/board-file.js";
import { readJson } from "../store/json-file.js";
import { SAFE_ID_RULE, isSafeId, type BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-lookup.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import { PlanSchema } from "../store/schema/plan.js";
import type { Run } from "../store/schema/run.js";
import { MAX_TELL_CHARS, type Tell } from "../store/schema/tells.js";
import { getResumeCommand } from "./resume-command.js";

/** A message for a run's worker, from any channel. */
export interface TellInput {
  /** The run (an exact id: surfaces resolve "latest" and prefixes first). */
  runId: string;
  /** The task whose worker is told; absent: the run's next worker, whichever task. */
  taskId?: string;
  /** The human's words. */
  text: string;
  /** The channel (cli, contract, monitor, dashboard). */
  source: string;
}

/** What a tell did. */
export interface TellOutcome {
  /** The tell as written to `.bosun/tells/<id>.json`. */
  tell: Tell;
  /** The run's status when it was written. */
  runStatus: Run["status"];
  /** A live process works on the run now (it delivers the tell at its next worker dispatch). */
  isRunLive: boolean;
  /** One sentence saying when the worker gets it, for a human. */
  message: string;
  /** The command that continues the run (what delivers the tell when no process works on it). */
  resumeCommand: string;
}

/** Statuses after which no worker of the run runs again. */
const FINISHED_STATUSES: ReadonlySet<Run["status"]> = new Set(["succeeded", "cancelled"]);

/** Team task statuses after which the task's worker does not run again in this run. */
const DONE_TASK_STATUSES: ReadonlySet<string> = new Set(["merged", "failed", "cancelled"]);

/**
 * Checks that the run (and task) can still take a message — the run exists and has not finished,
 * the task is the run's, the text is not empty and at most MAX_TELL_CHARS — and writes the tell.
 */
export async function tellWorker(paths: BosunPaths, input: TellInput): Promise<TellOutcome> {
  const text = input.text.trim();
  if (text === "")
    throw new UsageError(`The message to run ${input.runId}'s worker is empty: say something.`);
  if (text.length > MAX_TELL_CHARS)
    throw new UsageError(
      `The message is ${text.length} characters; a tell holds at most ${MAX_TELL_CHARS}. Shorten it, or write the details to a file in the repository and tell the worker to read it.`,
    );
  if (input.taskId !== undefined && !isSafeId(input.taskId))
    throw new UsageError(`Invalid task id ${JSON.stringify(input.taskId)}: ${SAFE_ID_RULE}.`);
  const run = await readRun(paths, input.runId);
  if (run === null)
    throw new StateError(
      `Run ${input.runId} has no run.json (${paths.runFile(input.runId)}); nothing was told. List runs with "bosun runs".`,
    );
  if (FINISHED_STATUSES.has(run.status))
    throw new StateError(
      `Run ${run.id} has finished (${run.status}): no worker of it will run again, so nothing was told. Start a new run instead.`,
    );
  if (input.taskId !== undefined) await assertTaskTakesTells(paths, run, input.taskId);
  const tell: Tell = {
    version: 1,
    id: createTellId(run.id),
    runId: run.id,
    ...(input.taskId === undefined ? {} : { taskId: input.taskId }),
    text,
    source: input.source,
    createdAt: new Date().toISOString(),
  };
  await writeTell(paths, tell);
  const isRunLive = (await readLiveLockHolder(paths.lockFile(run.id))) !== undefined;
  const whose = input.taskId === undefined ? "the run's" : `${input.taskId}'s`;
  const resumeCommand = getResumeCommand(run.flow, run.id);
  const when = isRunLive
    ? ""
    : ` Run ${run.id} is ${run.status} with no process working on it: the worker gets it once the run continues (${resumeCommand}).`;
  return {
    tell,
    runStatus: run.status,
    isRunLive,
    message: `Told ${tell.id}: delivered with ${whose} next worker prompt.${when}`,
    resumeCommand,
  };
}

/** A task the run has and whose worker can still run; anything else says what the run has. */
async function assertTaskTakesTells(paths: BosunPaths, run: Run, taskId: string): Promise<void> {
  if (run.flow !== "team") {
    if (taskId !== run.taskId)
      throw new UsageError(
        `Run ${run.id} works on task ${run.taskId} only, not ${taskId}: leave --task out, or give ${run.taskId}.`,
      );
    return;
  }
  const plan = await readJson(paths.planFile(run.id), PlanSchema);
  if (plan === null)
    throw new StateError(
      `Team run ${run.id} has no plan yet, so no task ${taskId}: tell the whole run (no task), or wait for its plan (bosun board ${run.id}).`,
    );
  const ids = plan.tasks.map((task) => task.id);
  if (!ids.includes(taskId))
    throw new UsageError(
      `Team run ${run.id} has no task ${taskId}. Its tasks: ${ids.join(", ")} (bosun board ${run.id}).`,
    );
  const status = (await readBoard(paths, run.id))?.tasks.find((task) => task.id === taskId)?.status;
  if (status !== undefined && DONE_TASK_STATUSES.has(status))
    throw new StateError(
      `Task ${taskId} of run ${run.id} is ${status}: its worker will not run again, so nothing was told.`,
    );
}
