/**
 * The contract's read verbs: `runs`, `status`, `board`, `events`, `asks` and `schema`. Each reads
 * through the store (the same reads as the human commands) and prints one JSON document.
 */
import { StateError, UsageError } from "../../errors.js";
import { getResumeCommand } from "../../flows/resume-command.js";
import { isOpen, listAsks } from "../../human/asks.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import { listRunIds, readRun, readRunEvents, resolveRunId } from "../../store/run-read.js";
import type { Run } from "../../store/schema/run.js";
import { loadBoard } from "../commands/board.js";
import type { CliContext } from "../context.js";
import { CONTRACT_LIST_COMMAND, printContract } from "./output.js";
import {
  CONTRACT_OUTPUTS,
  getContractJsonSchema,
  isContractSchemaName,
  type ContractOutput,
} from "./schemas.js";

/** `bosun _ runs`. */
export async function runContractRuns(ctx: CliContext): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runs: ContractOutput<"runs">["runs"] = [];
  for (const id of await listRunIds(paths)) {
    const run = await readRun(paths, id);
    // A run whose run.json is not written yet has nothing to list (its journal is just starting).
    if (run === null) continue;
    // Only an unfinished run can have a writer; the others need no lock read.
    const isUnfinished = run.status === "running" || run.status === "paused";
    const isLive = isUnfinished && (await readLiveLockHolder(paths.lockFile(id))) !== undefined;
    runs.push(createRunSummary(run, isLive));
  }
  printContract("runs", { runs });
  return 0;
}

/** The contract's summary of a run (a fixed subset of run.json, the same for every flow). */
function createRunSummary(run: Run, isLive: boolean): ContractOutput<"runs">["runs"][number] {
  return {
    id: run.id,
    flow: run.flow,
    status: run.status,
    isLive,
    title: run.title,
    ...(run.flow === "team" ? {} : { taskId: run.taskId }),
    ...(run.parentRunId === undefined ? {} : { parentRunId: run.parentRunId }),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    costUsd: run.costUsd,
    openAskIds: run.openAskIds,
    ...(run.reason === undefined ? {} : { reason: run.reason }),
    resumeCommand: getResumeCommand(run.flow, run.id),
  };
}

/** `bosun _ status RUN`. */
export async function runContractStatus(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted, CONTRACT_LIST_COMMAND);
  const run = await readRun(paths, runId);
  if (run === null)
    throw new StateError(
      `Run ${runId} has no run.json yet (${paths.runFile(runId)}): it is being created. Ask again, or read its journal with "bosun _ events ${runId}".`,
    );
  const writerPid = await readLiveLockHolder(paths.lockFile(runId));
  printContract("status", {
    run,
    isLive: writerPid !== undefined,
    writerPid: writerPid ?? null,
    resumeCommand: getResumeCommand(run.flow, run.id),
  });
  return 0;
}

/** `bosun _ board RUN`. */
export async function runContractBoard(ctx: CliContext, wanted: string): Promise<number> {
  const paths = await ctx.getStatePaths();
  const board = await loadBoard(paths, await resolveRunId(paths, wanted, CONTRACT_LIST_COMMAND));
  printContract("board", { board });
  return 0;
}

/** `bosun _ events RUN [--since SEQ]`. */
export async function runContractEvents(
  ctx: CliContext,
  wanted: string,
  options: { since?: number },
): Promise<number> {
  const paths = await ctx.getStatePaths();
  const runId = await resolveRunId(paths, wanted, CONTRACT_LIST_COMMAND);
  const all = await readRunEvents(paths, runId);
  const since = options.since ?? 0;
  printContract("events", {
    runId,
    events: all.filter((event) => event.seq > since),
    lastSeq: all.at(-1)?.seq ?? 0,
  });
  return 0;
}

/** `bosun _ asks [--all]`. */
export async function runContractAsks(
  ctx: CliContext,
  options: { all?: boolean },
): Promise<number> {
  const asks = await listAsks(await ctx.getStatePaths(), options.all !== true);
  printContract("asks", {
    asks: asks.map((item) => ({
      ask: item.ask,
      answer: item.answer,
      isOpen: isOpen(item),
      ...(item.answerProblem === undefined ? {} : { answerProblem: item.answerProblem }),
    })),
  });
  return 0;
}

/** `bosun _ schema VERB`. */
export function runContractSchema(verb: string): number {
  if (!isContractSchemaName(verb)) {
    throw new UsageError(
      `No schema named ${JSON.stringify(verb)} (the VERB argument). Choose one of: ${Object.keys(CONTRACT_OUTPUTS).join(", ")}.`,
    );
  }
  printContract("schema", { verb, schema: getContractJsonSchema(verb) });
  return 0;
}
