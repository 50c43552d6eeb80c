/**
 * What the dashboard's JSON API answers, read through the store: runs, one run, a team run's
 * board, events since a seq, asks, costs, an agent's log tail and a task's diff. Nothing here
 * writes.
 */
import { open } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { getRunDiff, getTaskDiff, type RunDiff } from "../flows/run-diff.js";
import { readRebuiltBoard } from "../flows/team/board-rebuild.js";
import { isOpen, listAsks, type AskWithAnswer } from "../human/asks.js";
import { readCurrentBoard } from "../store/board-file.js";
import { createStateFsError } from "../store/fs-errors.js";
import { readJsonl } from "../store/jsonl.js";
import { isRunId, isSafeId, type BosunPaths } from "../store/paths.js";
import { listRunIds, readRun, readRunEvents } from "../store/run-read.js";
import type { Board } from "../store/schema/board.js";
import { CostLineSchema, type CostLine } from "../store/schema/costs.js";
import type { RunEvent } from "../store/schema/events.js";
import type { Run, RunStatus } from "../store/schema/run.js";

/** One row of the runs list. */
export interface RunSummary {
  /** Run id. */
  id: string;
  /** review, team or pipeline. */
  flow: Run["flow"];
  /** Where it stands. */
  status: RunStatus;
  /** Its goal in one line. */
  title: string;
  /** ISO time created. */
  createdAt: string;
  /** ISO time of its last event. */
  updatedAt: string;
  /** USD spent so far. */
  costUsd: number;
  /** The run's cap in USD (team runs with --budget-usd). */
  budgetUsd?: number;
  /** Asks waiting for a human. */
  openAskIds: string[];
  /** Events in its journal. */
  eventCount: number;
}

/**
 * A run whose run.json cannot be read (invalid JSON, a field the schema refuses, no permission):
 * listed with what is wrong, so one damaged file does not hide every other run.
 */
export interface DamagedRunSummary {
  /** Run id (its folder's name). */
  id: string;
  /** Marks the entry: no status could be read. */
  status: "damaged";
  /** What is wrong and what to do, naming the file. */
  error: string;
  /** The error again, for a list that shows each run's title. */
  title: string;
  /** None known. */
  openAskIds: string[];
}

/** One entry of `/api/runs`. */
export type RunListEntry = RunSummary | DamagedRunSummary;

/** Most events one `events since` answer holds; ask again from its `lastSeq` for more. */
export const EVENTS_PAGE_MAX = 5_000;

/** Most bytes of an agent log's tail that are served. */
export const LOG_TAIL_BYTES = 64 * 1024;

/** Most bytes of a diff that are served (the page is no place for more; `bosun diff` has it all). */
export const DIFF_MAX_BYTES = 256 * 1024;

/**
 * Every run of the repository, newest first; a run whose run.json is missing (being made) is
 * skipped, one that cannot be read is listed as damaged.
 */
export async function readRunSummaries(paths: BosunPaths): Promise<RunListEntry[]> {
  const ids = await listRunIds(paths);
  const entries = await Promise.all(
    ids.map(async (id): Promise<RunListEntry | null> => {
      try {
        const run = await readRun(paths, id);
        return run === null ? null : toSummary(run);
      } catch (error) {
        if (!(error instanceof StateError)) throw error;
        return {
          id,
          status: "damaged",
          error: error.message,
          title: error.message,
          openAskIds: [],
        };
      }
    }),
  );
  return entries.filter((entry): entry is RunListEntry => entry !== null).reverse();
}

/** A run's summary, for the list. */
export function toSummary(run: Run): RunSummary {
  const budgetUsd = run.flow === "team" ? run.options.budgetUsd : undefined;
  return {
    id: run.id,
    flow: run.flow,
    status: run.status,
    title: run.title,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    costUsd: run.costUsd,
    ...(budgetUsd === undefined ? {} : { budgetUsd }),
    openAskIds: run.openAskIds,
    eventCount: run.eventCount,
  };
}

/**
 * A run's run.json; a RunNotFoundError when there is no such run, a DamagedRunError when its
 * run.json cannot be read.
 */
export async function readRunOrThrow(paths: BosunPaths, runId: string): Promise<Run> {
  assertRunIdShape(runId);
  const run = await readDamageable(() => readRun(paths, runId));
  if (run === null) throw createNoRunError(runId);
  return run;
}

/** A team run's board (board.json when current, else rebuilt read-only); null for other flows. */
export async function readDashboardBoard(paths: BosunPaths, runId: string): Promise<Board | null> {
  const run = await readRunOrThrow(paths, runId);
  if (run.flow !== "team") return null;
  // board.json may lag the journal by a few seconds under a live writer; one that lags behind
  // the plan itself has no rows to show, and the page would wait for them: rebuild it then.
  const current = await readCurrentBoard(paths, runId);
  if (current?.hasPlan === true) return current;
  return readRebuiltBoard(paths, runId);
}

/** The events with `seq > since`, at most `limit`, and the last seq of the journal read. */
export async function readEventsSince(
  paths: BosunPaths,
  runId: string,
  since: number,
  limit: number = EVENTS_PAGE_MAX,
): Promise<{ events: RunEvent[]; lastSeq: number }> {
  await readRunOrThrow(paths, runId);
  const all = await readDamageable(() => readRunEvents(paths, runId));
  const events = all.filter((event) => event.seq > since).slice(0, limit);
  return { events, lastSeq: all.at(-1)?.seq ?? 0 };
}

/** An ask on the wire: the ask, its answer if any, and whether it still waits. */
export interface DashboardAsk extends AskWithAnswer {
  /** True while a human still has to answer. */
  isOpen: boolean;
}

/** Asks (of one run when `runId` is given), open ones only unless `isAll`. */
export async function readDashboardAsks(
  paths: BosunPaths,
  options: { runId?: string; isAll: boolean },
): Promise<DashboardAsk[]> {
  const asks = await listAsks(paths, !options.isAll);
  return asks
    .filter((item) => options.runId === undefined || item.ask.runId === options.runId)
    .map((item) => ({ ...item, isOpen: isOpen(item) }));
}

/** One run's lines of costs.jsonl, oldest first, with their total. */
export async function readRunCosts(
  paths: BosunPaths,
  runId: string,
): Promise<{ lines: CostLine[]; totalUsd: number; budgetUsd?: number }> {
  const run = await readRunOrThrow(paths, runId);
  const { records } = await readJsonl(paths.costsFile, CostLineSchema);
  const lines = records.filter((line) => line.runId === runId);
  const budgetUsd = run.flow === "team" ? run.options.budgetUsd : undefined;
  return {
    lines,
    totalUsd: lines.reduce((sum, line) => sum + line.costUsd, 0),
    ...(budgetUsd === undefined ? {} : { budgetUsd }),
  };
}

/** Which agent attempt's log to read. */
export interface LogRef {
  /** The task. */
  taskId: string;
  /** Its round. */
  round: number;
  /** The seat (worker, critic, …). */
  seat: string;
  /** The prompt attempt (1 first). */
  attempt: number;
  /** A pipeline's phase, when the run has phases. */
  phase?: string;
}

/** The path of an agent attempt's agent.log, once the run and every part of `ref` check out. */
export async function getAgentLogFile(
  paths: BosunPaths,
  runId: string,
  ref: LogRef,
): Promise<string> {
  await readRunOrThrow(paths, runId);
  for (const part of [
    ref.taskId,
    ref.seat,
    ...(ref.phase === undefined ? [] : ref.phase.split("/")),
  ])
    if (!isSafeId(part))
      throw new UsageError(`Invalid log reference ${JSON.stringify(part)}: ids only.`);
  return `${paths.attemptDir(runId, ref.taskId, ref.round, ref.seat, ref.attempt, ref.phase)}/agent.log`;
}

/** The last LOG_TAIL_BYTES of an agent attempt's agent.log; empty when it has none yet. */
export async function readAgentLogTail(
  paths: BosunPaths,
  runId: string,
  ref: LogRef,
): Promise<string> {
  const file = await getAgentLogFile(paths, runId, ref);
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return "";
    throw createStateFsError("read", file, error);
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * A task's diff (`bosun diff`'s own, through flows/run-diff.ts), or the whole run's when no task
 * is named, cut at DIFF_MAX_BYTES.
 */
export async function readDashboardDiff(
  paths: BosunPaths,
  runId: string,
  taskId: string | undefined,
): Promise<RunDiff> {
  await readRunOrThrow(paths, runId);
  if (taskId === undefined) return getRunDiff(paths, runId, undefined, DIFF_MAX_BYTES);
  if (!isSafeId(taskId))
    throw new UsageError(`Invalid task id ${JSON.stringify(taskId)}: ids only.`);
  return getTaskDiff(paths, runId, taskId, DIFF_MAX_BYTES);
}

/** A run id must look like one before it becomes a path. */
export function assertRunIdShape(runId: string): void {
  if (!isRunId(runId)) throw createNoRunError(runId);
}

/** What the API answers for a run that is not there. */
export class RunNotFoundError extends StateError {}

/**
 * A run's file that cannot be read (invalid, or a journal whose seqs do not run 1..N): the
 * store's fault, not the request's, nor a state that refuses an action.
 */
export class DamagedRunError extends StateError {}

/** Runs `read`, its StateError (the file named, and what to do) turned into a DamagedRunError. */
async function readDamageable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof StateError) || error instanceof RunNotFoundError) throw error;
    throw new DamagedRunError(error.message, { cause: error });
  }
}

function createNoRunError(runId: string): RunNotFoundError {
  return new RunNotFoundError(
    `Run ${JSON.stringify(runId)} not found. The runs list (/api/runs) names every run.`,
  );
}
