/**
 * `bosun pipeline`: a task taken through producer/verifier pairs — plan, then implement and test
 * per phase, then an audit of what was delivered against the request — as a durable state
 * machine. The next step is always derived from the run's indexed journal (`pipeline-next.ts`),
 * so starting, resuming after a crash and continuing after an answer share one path. Gaps the
 * audit finds start a follow-up run of the same task, which this process then drives too.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { AgentError, CancelledError, StateError, UsageError } from "../../errors.js";
import { readIntelligence } from "../../store/intelligence-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { getTaskState } from "../../store/run-index.js";
import { readRun } from "../../store/run-read.js";
import { RunStore, createRunId } from "../../store/run-store.js";
import type { Config } from "../../store/schema/config.js";
import { EVENTS_VERSION, type RunEvent, type RunEventInput } from "../../store/schema/events.js";
import {
  parseAuditReport,
  parsePhasePlan,
  type PipelineOptions,
} from "../../store/schema/pipeline.js";
import type { PipelineRun } from "../../store/schema/run.js";
import { excludeBosunDir, getHead, getRepoRoot, listDirtyFiles } from "../../workspace/git.js";
import type { AgentRunner } from "../../agents/dispatch.js";
import type { BosunEventListener } from "../events.js";
import type { RunContext } from "../flow-context.js";
import { readAgentJson } from "../report-check.js";
import { driveWithStopChannel, getPauseReason } from "../stop-channel.js";
import { acquireWorkTree } from "../work-tree.js";
import { answerOpenQuestions, askHuman, takeAnswers, waitForHuman } from "./pipeline-asks.js";
import {
  buildContext,
  buildScope,
  createDocumentGate,
  getPairDocument,
  getAuditFile,
  readPlan,
  type RunInputs,
} from "./pipeline-stage.js";
import { appendPhaseLog, writeCarriedLedger } from "./pipeline-files.js";
import { readFollowupCreated } from "./pipeline-followup.js";
import { runPipelineIteration } from "./pipeline-iteration.js";
import { WHOLE_PLAN_PHASE, getNextPipelineStep, type PipelineStage } from "./pipeline-next.js";
import { orderPhases } from "./phase-order.js";

/** How a pipeline call ended. */
export interface PipelineOutcome {
  /** The last run the call drove (a follow-up, when the audit started one). */
  run: PipelineRun;
  /** True when the process stopped with that run unfinished. */
  isPaused: boolean;
}

/** What every pipeline call needs. */
export interface PipelineDriveOptions {
  /** Repository (or, with --no-git, folder) paths. */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** Cancels the run's agents. */
  signal?: AbortSignal;
  /** Event subscriber (printer, TUI). */
  onEvent: BosunEventListener;
  /** Runs agent calls (`dispatch` when absent; tests inject a fake). */
  runAgent?: AgentRunner;
}

/** What starting a run needs besides the common options. */
export type StartPipelineOptions = PipelineDriveOptions & {
  /** The task the run works on. */
  taskId: string;
  /** The request, kept as request.md (never changed). */
  request: string;
  /** Options fixed at start. */
  pipelineOptions: PipelineOptions;
  /** The task's earlier run whose ledger this run carries on (the latest one), if any. */
  previousRunId?: string;
};

/** Starts a new pipeline run and drives it (and the follow-ups its audit starts). */
export async function startPipeline(options: StartPipelineOptions): Promise<PipelineOutcome> {
  const runId = createRunId();
  const lock = await acquireWorkTree(options, runId);
  let outcome: PipelineOutcome;
  try {
    outcome = await createAndDrive(options, runId);
  } finally {
    await lock.release();
  }
  return driveFollowups(options, outcome);
}

/** Resumes a run: after a crash, Ctrl-C, a failure, or once its ask is answered. */
export async function resumePipeline(
  options: PipelineDriveOptions & {
    runId: string;
    /** Options to change from now on (flags given with --resume); recorded as an event. */
    overrides?: Partial<PipelineOptions>;
  },
): Promise<PipelineOutcome> {
  const lock = await acquireWorkTree(options, options.runId);
  let outcome: PipelineOutcome;
  try {
    outcome = await openAndDrive(options);
  } finally {
    await lock.release();
  }
  return driveFollowups(options, outcome);
}

/** Drives the follow-up each finished run started, one after the other, each under its own lock. */
async function driveFollowups(
  options: PipelineDriveOptions,
  outcome: PipelineOutcome,
): Promise<PipelineOutcome> {
  let current = outcome;
  while (!current.isPaused && current.run.followupRunId !== undefined) {
    const child = await readRun(options.paths, current.run.followupRunId);
    if (child?.flow !== "pipeline" || isFinished(child.status)) return current;
    const runId = child.id;
    const lock = await acquireWorkTree(options, runId);
    try {
      current = await openAndDrive({ ...options, runId });
    } finally {
      await lock.release();
    }
  }
  return current;
}

function isFinished(status: PipelineRun["status"]): boolean {
  return status === "succeeded" || status === "cancelled";
}

async function createAndDrive(
  options: StartPipelineOptions,
  runId: string,
  parent?: { runId: string; depth: number },
): Promise<PipelineOutcome> {
  const store = await createRun(options, runId, parent);
  return drive(store, options);
}

/** Creates the run's directory, request.md, carried ledger and first event. */
async function createRun(
  options: StartPipelineOptions,
  runId: string,
  parent?: { runId: string; depth: number },
): Promise<RunStore> {
  const { paths, pipelineOptions } = options;
  let baseCommit = "";
  if (!pipelineOptions.isGitDisabled) {
    await assertRepository(paths.root);
    await excludeBosunDir(paths.root);
    const dirty = await listDirtyFiles(paths.root);
    if (dirty.length > 0 && parent === undefined)
      throw new UsageError(
        `The working tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", …" : ""}); a pipeline measures each producer's change with git. Commit or stash them first.`,
      );
    baseCommit = await getHead(paths.root);
  }
  const carriedFrom = parent?.runId ?? options.previousRunId;
  const store = await RunStore.create(
    paths,
    options.request,
    {
      type: "run.created",
      version: EVENTS_VERSION,
      flow: "pipeline",
      taskId: options.taskId,
      title: options.request.trim().split("\n")[0]?.slice(0, 120) ?? options.taskId,
      baseCommit,
      depth: parent === undefined ? 0 : parent.depth + 1,
      ...(parent === undefined ? {} : { parentRunId: parent.runId }),
      options: pipelineOptions,
    },
    {
      createId: () => runId,
      ...(carriedFrom === undefined
        ? {}
        : { writeInputs: (id) => writeCarriedLedger(paths, id, carriedFrom) }),
    },
  );
  const created = store.events[0]!;
  await appendPhaseLog(paths, store.runId, created);
  options.onEvent({ ...created, runId: store.runId });
  return store;
}

/**
 * Outside a repository bosun still finds a folder that holds runs (a --no-git pipeline's), so the
 * first git call of a run without --no-git would fail there with git's own words.
 */
async function assertRepository(root: string): Promise<void> {
  try {
    await getRepoRoot(root);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `${root} is not inside a git repository; a pipeline checkpoints and measures each producer's change with git. Run it in a repository ("git init" first), or pass --no-git.`,
      { cause: error },
    );
  }
}

async function openAndDrive(
  options: PipelineDriveOptions & { runId: string; overrides?: Partial<PipelineOptions> },
): Promise<PipelineOutcome> {
  const store = await RunStore.open(options.paths, options.runId);
  try {
    const run = readPipelineRun(store);
    if (isFinished(run.status)) {
      const followup =
        run.followupRunId === undefined
          ? ""
          : ` Its follow-up run ${run.followupRunId} took on what the audit found: bosun status ${run.followupRunId}.`;
      throw new StateError(
        `Run ${options.runId} already ${run.status}; there is nothing to resume.${followup} Start a new run of the task with "bosun pipeline --task-id ${run.taskId} --intent-mode append --intent …".`,
      );
    }
    // A follow-up created by its parent and not yet driven has only its first event.
    if (run.eventCount > 1) await record(store, options, { type: "run.resumed", pid: process.pid });
    const current = run.options;
    const changed = { ...current, ...options.overrides };
    if (JSON.stringify(changed) !== JSON.stringify(current))
      await record(store, options, { type: "options.changed", options: changed });
  } catch (error) {
    await store.close();
    throw error;
  }
  return drive(store, options);
}

/** Runs the state machine until the run ends, pauses or waits for a human; always closes the store. */
async function drive(store: RunStore, options: PipelineDriveOptions): Promise<PipelineOutcome> {
  try {
    return await driveWithStopChannel(options.paths, store.runId, options, (signal) =>
      driveUntilPaused(store, { ...options, signal }),
    );
  } finally {
    await store.close();
  }
}

async function driveUntilPaused(
  store: RunStore,
  options: PipelineDriveOptions,
): Promise<PipelineOutcome> {
  let pause: string;
  try {
    const step = await driveSteps(store, options);
    if (step.pause === undefined) return { run: readPipelineRun(store), isPaused: false };
    pause = step.pause;
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    pause = getPauseReason(options.signal);
  }
  if (store.run.status === "running")
    await record(store, options, { type: "run.paused", reason: pause });
  return { run: readPipelineRun(store), isPaused: true };
}

async function driveSteps(
  store: RunStore,
  options: PipelineDriveOptions,
): Promise<{ pause?: string }> {
  const { paths } = options;
  const ctx: RunContext = {
    paths,
    config: options.config,
    runId: store.runId,
    get state() {
      return store.index;
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.runAgent === undefined ? {} : { runAgent: options.runAgent }),
    record: (event) => record(store, options, event),
    emit: options.onEvent,
    isGitless: readPipelineRun(store).options.isGitDisabled,
  };
  const inputs: RunInputs = {
    request: await readFile(paths.requestFile(store.runId), "utf8"),
    intelligence: await readIntelligence(paths),
  };
  for (;;) {
    if (options.signal?.aborted === true) return { pause: getPauseReason(options.signal) };
    const run = readPipelineRun(store);
    // Resuming made it running (or left it waiting on a human); any other end was this call's.
    if (run.status !== "running" && run.status !== "needs_human") return {};
    if (run.openAskIds.length > 0) await answerOpenQuestions(ctx, run, inputs);
    if (run.openAskIds.length > 0 && !(await takeAnswers(ctx))) {
      await waitForHuman(ctx, run);
      return {};
    }
    const next = getNextPipelineStep(store.index, store.runId, run.taskId, run.options);
    try {
      switch (next.type) {
        case "complete":
          await ctx.record({ type: "run.completed", status: next.status, reason: next.reason });
          return {};
        case "plan-phases":
          await planPhases(ctx, run);
          continue;
        case "wait":
          await waitForHuman(ctx, run);
          return {};
        case "ask":
          await askHuman(ctx, run, inputs, next.stage, next.iteration, next.kind);
          continue;
        case "audited":
          await finishAudit(ctx, store, options, run, next.iteration);
          continue;
        case "iteration":
          await runIteration(ctx, run, inputs, next.stage, next.iteration);
          continue;
      }
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      await ctx.record({ type: "run.completed", status: "failed", reason: error.message });
      return {};
    }
  }
}

/** Records the phases implement and test take, in dependency order. */
async function planPhases(ctx: RunContext, run: PipelineRun): Promise<void> {
  const plan = await readPlan(ctx, run);
  const phaseIds =
    plan === undefined || run.options.phaseMode === "single"
      ? [WHOLE_PLAN_PHASE]
      : orderPhases(plan.phases);
  await ctx.record({ type: "phases.planned", phaseIds });
}

async function runIteration(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
): Promise<void> {
  const scope = buildScope(ctx, run, stage, iteration);
  const context = await buildContext(ctx, run, inputs, stage, iteration);
  const document = getPairDocument(ctx, scope, stage);
  const documentGate =
    document === undefined
      ? undefined
      : stage.pair === "plan"
        ? createDocumentGate("plan", document, parsePhasePlan)
        : createDocumentGate("audit", document, parseAuditReport);
  await runPipelineIteration(ctx, scope, {
    context,
    ...(documentGate === undefined ? {} : { documentGate }),
    ...(document === undefined ? {} : { document }),
    // The verifier judges the pair's whole work: from where its first iteration started (the
    // audit: from where the run started).
    getDiffBase: () =>
      stage.pair === "audit"
        ? run.baseCommit
        : (getTaskState(ctx.state, run.taskId, stage.phase)?.rounds.get(1)?.startHead ??
          run.baseCommit),
  });
}

/**
 * After the audit pair completed: no gaps ends the run; gaps are written to revised_request.md
 * and, unless follow-ups are off or the chain is as deep as allowed, handed to a follow-up run of
 * the same task (created here, driven once this run's lock is released).
 */
async function finishAudit(
  ctx: RunContext,
  store: RunStore,
  options: PipelineDriveOptions,
  run: PipelineRun,
  iteration: number,
): Promise<void> {
  const read = await readAgentJson(getAuditFile(ctx));
  const parsed = read.isValid
    ? parseAuditReport(read.report)
    : { ok: false as const, error: read.error };
  if (!parsed.ok)
    throw new StateError(
      `The accepted audit ${getAuditFile(ctx)} can no longer be read (${parsed.error}); restore it, then: bosun pipeline --resume ${ctx.runId}`,
    );
  const audit = parsed.value;
  if (audit.gaps.length === 0) {
    await ctx.record({
      type: "run.completed",
      status: "succeeded",
      reason: `the audit (iteration ${iteration}) found no material gap`,
    });
    return;
  }
  const revisedFile = path.join(
    ctx.paths.pairArtifactDir(ctx.runId, "audit"),
    "revised_request.md",
  );
  await writeFile(revisedFile, `${(audit.revised_request ?? "").trim()}\n`);
  const gaps = `${audit.gaps.length} material gap(s)`;
  if (!run.options.isFollowupEnabled || run.depth >= run.options.followupDepth) {
    const why = !run.options.isFollowupEnabled
      ? "follow-ups are off (--no-followup)"
      : `the chain of follow-ups is ${run.depth} deep, the most --followup-depth allows`;
    await ctx.record({
      type: "run.completed",
      status: run.options.isFollowupEnabled ? "failed" : "succeeded",
      reason: `the audit found ${gaps} and ${why}; they are in ${revisedFile}: bosun pipeline --task-id ${run.taskId} --intent-mode replace --intent-file ${revisedFile}`,
    });
    return;
  }
  const childRunId = store.index.followup?.childRunId ?? createRunId();
  if (store.index.followup === undefined)
    await ctx.record({ type: "followup.started", childRunId, gaps: audit.gaps.length });
  // Created after the parent journaled its id: a crash between the two, or during the
  // creation, creates it on resume.
  if (!(await readFollowupCreated(ctx.paths, childRunId))) {
    const child = await createRun(
      {
        ...options,
        taskId: run.taskId,
        request: (audit.revised_request ?? "").trim(),
        pipelineOptions: run.options,
      },
      childRunId,
      { runId: ctx.runId, depth: run.depth },
    );
    await child.close();
  }
  await ctx.record({
    type: "run.completed",
    status: "succeeded",
    reason: `the audit found ${gaps}; follow-up run ${childRunId} takes them on`,
  });
}

/** The run's snapshot, known to be a pipeline's. */
function readPipelineRun(store: RunStore): PipelineRun {
  const run = store.run;
  if (run.flow !== "pipeline")
    throw new UsageError(
      `Run ${store.runId} is a ${run.flow} run, not a pipeline; resume it with its own command.`,
    );
  return run;
}

async function record(
  store: RunStore,
  options: PipelineDriveOptions,
  input: RunEventInput,
): Promise<RunEvent> {
  const event = await store.append(input);
  await appendPhaseLog(options.paths, store.runId, event);
  options.onEvent({ ...event, runId: store.runId });
  return event;
}
