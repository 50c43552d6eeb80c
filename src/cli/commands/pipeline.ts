/**
 * `bosun pipeline`: a task through plan → implement → test → audit producer/verifier pairs, with
 * follow-up runs for what the audit finds missing. `--resume [RUN]` continues a run, `--list-tasks`
 * shows tasks, their runs and follow-up links. Flags fall back to `pipeline:` in bosun.yaml.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { checkHarnessFlag } from "../../agents/config-check.js";
import { findHarnessBinary } from "../../agents/doctor.js";
import { resolveHarness } from "../../agents/harnesses.js";
import { UsageError, getErrorMessage } from "../../errors.js";
import {
  resumePipeline,
  startPipeline,
  type PipelineOutcome,
} from "../../flows/pipeline/pipeline-run.js";
import {
  createTaskId,
  listPipelineTasks,
  resolveTaskRequest,
  type IntentMode,
} from "../../flows/pipeline/pipeline-tasks.js";
import { createBosunPaths, isSafeId, SAFE_ID_RULE, type BosunPaths } from "../../store/paths.js";
import { resolveRunId } from "../../store/run-read.js";
import type { Config } from "../../store/schema/config.js";
import type { PipelineRun } from "../../store/schema/run.js";
import {
  PIPELINE_PAIRS,
  type PipelineOptions,
  type PipelinePair,
} from "../../store/schema/run-options.js";
import type { CliContext } from "../context.js";
import { formatUsd, printJson } from "../format.js";
import { formatStatus, subscribePrinter } from "../printer.js";
import { checkHarnessesInstalled } from "./review.js";
import { reportPipelineOutcome } from "./pipeline-report.js";

/** Flags of `bosun pipeline` (commander's names). */
export interface PipelineFlags {
  intent?: string;
  intentFile?: string;
  pairs?: string;
  maxIterations?: number;
  phaseMode?: string;
  intentMode?: string;
  producer?: string;
  verifier?: string;
  verify?: string;
  fullAutoAnswers?: boolean;
  /** false with --no-git. */
  git?: boolean;
  /** false with --no-followup. */
  followup?: boolean;
  followupDepth?: number;
  taskId?: string;
  /** A run id, or true for --resume without one (the task's latest run). */
  resume?: string | boolean;
  listTasks?: boolean;
  timeout?: number;
}

/**
 * Harnesses tried, in order, when neither a flag nor bosun.yaml names the producer or verifier
 * (built-in harness names: an unknown one would make resolveHarness throw).
 */
const HARNESS_PREFERENCE = ["claude", "codex", "gemini", "opencode", "pi", "amp", "cursor-agent"];

/** Runs the command; exit 0 succeeded, 1 failed, 2 usage, 3 needs a human, 130 stopped. */
export async function runPipeline(ctx: CliContext, flags: PipelineFlags): Promise<number> {
  const paths = await getPipelinePaths(ctx, flags);
  if (flags.listTasks === true) return printTasks(ctx, paths);
  const resolved = await ctx.getConfig();
  const { config } = resolved;
  const onEvent = subscribePrinter(ctx, { showTaskIds: false });
  if (flags.resume !== undefined && flags.resume !== false) {
    const runId = await findRunToResume(paths, flags);
    const outcome = await resumePipeline({
      paths,
      config,
      runId,
      overrides: getResumeOverrides(flags),
      signal: ctx.signal,
      onEvent,
    });
    return report(ctx, outcome);
  }
  for (const [flag, value] of [
    ["--producer", flags.producer],
    ["--verifier", flags.verifier],
  ] as const)
    if (value !== undefined) checkHarnessFlag(flag, value, config.agents);
  const intent = await readIntent(flags);
  if (flags.taskId !== undefined) checkTaskId(flags.taskId);
  const taskId = flags.taskId ?? (intent === undefined ? undefined : createTaskId(intent));
  if (taskId === undefined)
    throw new UsageError(
      'Give the request: bosun pipeline --intent "…" (or --intent-file FILE); to run a task again, --task-id TASK.',
    );
  const intentMode = parseIntentMode(flags.intentMode ?? config.pipeline.intentMode);
  const { request, previousRunId } = await resolveTaskRequest(paths, taskId, intent, intentMode);
  const pipelineOptions = await createPipelineOptions(flags, config);
  await checkHarnessesInstalled(
    [pipelineOptions.producer, pipelineOptions.verifier],
    resolved,
    paths,
  );
  const outcome = await startPipeline({
    paths,
    config,
    taskId,
    request,
    pipelineOptions,
    ...(previousRunId === undefined ? {} : { previousRunId }),
    signal: ctx.signal,
    onEvent,
  });
  return report(ctx, outcome);
}

function report(ctx: CliContext, outcome: PipelineOutcome): number {
  return reportPipelineOutcome(ctx, outcome);
}

/**
 * The repository's paths, else those of the folder up from here that holds runs (a `--no-git`
 * run's); with --no-git outside both, the current folder's: `.bosun/` is made there.
 */
async function getPipelinePaths(ctx: CliContext, flags: PipelineFlags): Promise<BosunPaths> {
  try {
    return await ctx.getStatePaths();
  } catch (error) {
    if (flags.git !== false || !(error instanceof UsageError)) throw error;
    return createBosunPaths(process.cwd());
  }
}

async function readIntent(flags: PipelineFlags): Promise<string | undefined> {
  if (flags.intent !== undefined && flags.intentFile !== undefined)
    throw new UsageError("Give --intent or --intent-file, not both.");
  if (flags.intent !== undefined) {
    if (flags.intent.trim() === "")
      throw new UsageError("--intent is empty: say what the pipeline should deliver.");
    return flags.intent;
  }
  if (flags.intentFile === undefined) return undefined;
  const file = path.resolve(flags.intentFile);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read --intent-file ${file}: ${getErrorMessage(error)}`);
  }
  if (text.trim() === "") throw new UsageError(`--intent-file ${file} is empty.`);
  return text;
}

function parseIntentMode(value: string): IntentMode {
  if (value === "preserve" || value === "replace" || value === "append") return value;
  throw new UsageError(`--intent-mode must be preserve, replace or append, not "${value}".`);
}

/** "plan,implement" (or a list from bosun.yaml) → pairs, checked to be known and in order. */
export function parsePairs(value: string | readonly string[]): PipelinePair[] {
  const names = (typeof value === "string" ? value.split(",") : [...value])
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0)
    throw new UsageError(`--pairs is empty: give some of ${PIPELINE_PAIRS.join(",")}.`);
  const pairs: PipelinePair[] = [];
  for (const name of names) {
    const pair = PIPELINE_PAIRS.find((known) => known === name);
    if (pair === undefined)
      throw new UsageError(
        `--pairs: "${name}" is not a pair; the pairs are ${PIPELINE_PAIRS.join(", ")}.`,
      );
    if (pairs.includes(pair)) throw new UsageError(`--pairs names ${pair} twice.`);
    pairs.push(pair);
  }
  const order = pairs.map((pair) => PIPELINE_PAIRS.indexOf(pair));
  if (order.some((position, index) => index > 0 && position < order[index - 1]!))
    throw new UsageError(
      `--pairs must keep the order ${PIPELINE_PAIRS.join(",")} (got ${pairs.join(",")}).`,
    );
  return pairs;
}

/** The run's options: flags over bosun.yaml's `pipeline:` over the defaults. */
async function createPipelineOptions(
  flags: PipelineFlags,
  config: Config,
): Promise<PipelineOptions> {
  const defaults = config.pipeline;
  const phaseMode = flags.phaseMode ?? defaults.phaseMode;
  if (phaseMode !== "single" && phaseMode !== "multi")
    throw new UsageError(`--phase-mode must be single or multi, not "${phaseMode}".`);
  const { producer, verifier } = await pickHarnesses(
    flags.producer ?? defaults.producer,
    flags.verifier ?? defaults.verifier,
    config,
  );
  return {
    pairs: parsePairs(flags.pairs ?? defaults.pairs),
    maxIterations: flags.maxIterations ?? defaults.maxIterations,
    phaseMode,
    producer,
    verifier,
    verify: flags.verify ?? defaults.verify,
    isFullAutoAnswers: flags.fullAutoAnswers ?? defaults.fullAutoAnswers,
    isGitDisabled: flags.git === false || defaults.noGit,
    isFollowupEnabled: flags.followup ?? defaults.followup,
    followupDepth: flags.followupDepth ?? defaults.followupDepth,
    timeoutSec: flags.timeout ?? config.dispatch.timeoutSec,
  };
}

/**
 * The producer and verifier: as named, else the first installed harness, and a different one
 * for the verifier where a second is installed (a second opinion from another model family).
 */
export async function pickHarnesses(
  producer: string,
  verifier: string,
  config: Config,
): Promise<{ producer: string; verifier: string }> {
  if (producer !== "" && verifier !== "") return { producer, verifier };
  const installed: string[] = [];
  for (const name of HARNESS_PREFERENCE) {
    if (installed.length === 2) break;
    if ((await findHarnessBinary(resolveHarness(name, config.agents).spec)) !== undefined)
      installed.push(name);
  }
  const chosenProducer = producer !== "" ? producer : (installed[0] ?? "claude");
  const chosenVerifier =
    verifier !== ""
      ? verifier
      : (installed.find((name) => name !== chosenProducer) ?? chosenProducer);
  return { producer: chosenProducer, verifier: chosenVerifier };
}

/** The flags a run may change when resumed; the rest are the run's for life. */
function getResumeOverrides(flags: PipelineFlags): Partial<PipelineOptions> {
  const fixed = [
    ["--intent", flags.intent],
    ["--intent-file", flags.intentFile],
    ["--pairs", flags.pairs],
    ["--phase-mode", flags.phaseMode],
    ["--intent-mode", flags.intentMode],
    ["--producer", flags.producer],
    ["--verifier", flags.verifier],
    ["--verify", flags.verify],
    ["--no-git", flags.git === false ? true : undefined],
  ] as const;
  const given = fixed.filter(([, value]) => value !== undefined).map(([flag]) => flag);
  if (given.length > 0)
    throw new UsageError(
      `${given.join(", ")} cannot change on --resume: a run keeps its request, pairs and agents for life. Start a new run of the task instead (bosun pipeline --task-id TASK --intent-mode append …).`,
    );
  return {
    ...(flags.maxIterations === undefined ? {} : { maxIterations: flags.maxIterations }),
    ...(flags.timeout === undefined ? {} : { timeoutSec: flags.timeout }),
    ...(flags.fullAutoAnswers === undefined ? {} : { isFullAutoAnswers: flags.fullAutoAnswers }),
    ...(flags.followup === undefined ? {} : { isFollowupEnabled: flags.followup }),
    ...(flags.followupDepth === undefined ? {} : { followupDepth: flags.followupDepth }),
  };
}

/**
 * A --task-id must be a safe id before anything is written: run.json refuses any other, and a
 * run whose first event names one would be left with a journal and no run.json.
 */
function checkTaskId(taskId: string): void {
  if (!isSafeId(taskId))
    throw new UsageError(`--task-id ${JSON.stringify(taskId)}: ${SAFE_ID_RULE}.`);
}

/**
 * --resume RUN, or --resume alone: the latest unfinished pipeline run (of --task-id, when given),
 * else the latest (its resume says it is finished).
 */
async function findRunToResume(paths: BosunPaths, flags: PipelineFlags): Promise<string> {
  if (typeof flags.resume === "string") return resolveRunId(paths, flags.resume);
  if (flags.taskId !== undefined) checkTaskId(flags.taskId);
  const tasks = await listPipelineTasks(paths);
  const runs = tasks
    .filter((task) => flags.taskId === undefined || task.taskId === flags.taskId)
    .flatMap((task) => task.runs)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const latest = pickRunToResume(runs);
  if (latest === undefined)
    throw new UsageError(
      flags.taskId === undefined
        ? 'There is no pipeline run to resume. Start one with bosun pipeline --intent "…".'
        : `Task ${flags.taskId} has no pipeline runs (bosun pipeline --list-tasks lists tasks).`,
    );
  return latest.id;
}

/**
 * The run `--resume` without an id continues, of `runs` oldest first: the latest unfinished one,
 * unless it is a follow-up whose parent is unfinished too (a parent killed right after creating
 * it: resuming the parent drives the follow-up anyway); else the latest.
 */
export function pickRunToResume(runs: readonly PipelineRun[]): PipelineRun | undefined {
  const unfinished = runs.filter((run) => run.status !== "succeeded" && run.status !== "cancelled");
  const unfinishedIds = new Set(unfinished.map((run) => run.id));
  const roots = unfinished.filter(
    (run) => run.parentRunId === undefined || !unfinishedIds.has(run.parentRunId),
  );
  return roots.at(-1) ?? runs.at(-1);
}

/** --list-tasks: tasks, their runs with status, and follow-up links. */
async function printTasks(ctx: CliContext, paths: BosunPaths): Promise<number> {
  const tasks = await listPipelineTasks(paths);
  if (ctx.isJson) {
    printJson(
      tasks.map((task) => ({
        taskId: task.taskId,
        runs: task.runs.map((run) => ({
          id: run.id,
          status: run.status,
          title: run.title,
          createdAt: run.createdAt,
          depth: run.depth,
          parentRunId: run.parentRunId ?? null,
          followupRunId: run.followupRunId ?? null,
          phase: run.phase ?? null,
          costUsd: run.costUsd,
        })),
      })),
    );
    return 0;
  }
  if (tasks.length === 0) {
    process.stdout.write('No pipeline tasks yet. Start one with bosun pipeline --intent "…".\n');
    return 0;
  }
  const lines: string[] = [];
  for (const task of tasks) {
    lines.push(`${task.taskId}  (${task.runs.length} run(s))`);
    for (const run of task.runs) {
      const links = [
        run.parentRunId === undefined ? "" : `follow-up of ${run.parentRunId}`,
        run.followupRunId === undefined ? "" : `followed up by ${run.followupRunId}`,
      ].filter((link) => link !== "");
      lines.push(
        `  ${run.id}  ${formatStatus(run.status)}  ${run.phase ?? "-"}  ${formatUsd(run.costUsd)}  ${run.title.slice(0, 50)}${links.length === 0 ? "" : `  (${links.join("; ")})`}`,
      );
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
