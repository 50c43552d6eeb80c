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
import { readAsk, writeAnswer, writeAsk } from "../../human/asks.js";
import type { Answer, Ask } from "../../store/schema/asks.js";
import { readJson } from "../../store/json-file.js";
import { readIntelligence } from "../../store/intelligence-file.js";
import type { BosunPaths } from "../../store/paths.js";
import { getTaskState, type RunIndex } from "../../store/run-index.js";
import { readRun } from "../../store/run-read.js";
import { RunStore, createRunId } from "../../store/run-store.js";
import type { Config } from "../../store/schema/config.js";
import { EVENTS_VERSION, type RunEvent, type RunEventInput } from "../../store/schema/events.js";
import {
  ModelAnswerSchema,
  parseAuditReport,
  parsePhasePlan,
  parseVerdict,
  type PhasePlan,
  type PipelineOptions,
} from "../../store/schema/pipeline.js";
import { FixListSchema } from "../../store/schema/reports.js";
import type { PipelineRun } from "../../store/schema/run.js";
import { excludeBosunDir, getHead, getRepoRoot, listDirtyFiles } from "../../workspace/git.js";
import type { AgentRunner } from "../../agents/dispatch.js";
import { runSeatWithReprompt } from "../agent-step.js";
import type { BosunEventListener } from "../events.js";
import { getRoundFile, type RoundScope, type RunContext } from "../flow-context.js";
import { readAgentJson, type ReportCheck } from "../report-check.js";
import { discardChangesSince } from "../round-head.js";
import type { Gate } from "../round.js";
import type { WorkerProduction } from "../task-round.js";
import { acquireWorkTree } from "../work-tree.js";
import {
  appendLedgerAnswer,
  appendLedgerQuestion,
  appendPhaseLog,
  readLedger,
  writeCarriedLedger,
} from "./pipeline-files.js";
import { readFollowupCreated } from "./pipeline-followup.js";
import { runPipelineIteration } from "./pipeline-iteration.js";
import {
  WHOLE_PLAN_PHASE,
  getAskId,
  getNextPipelineStep,
  type PipelineStage,
} from "./pipeline-next.js";
import { buildAnswererPrompt, type IterationContext } from "./pipeline-prompts.js";
import { orderPhases } from "./phase-order.js";

type AskCreated = Extract<RunEvent, { type: "ask.created" }>;

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
    let pause: string;
    try {
      const step = await driveSteps(store, options);
      if (step.pause === undefined) return { run: readPipelineRun(store), isPaused: false };
      pause = step.pause;
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      pause = "stopped by Ctrl-C or a signal";
    }
    if (store.run.status === "running")
      await record(store, options, { type: "run.paused", reason: pause });
    return { run: readPipelineRun(store), isPaused: true };
  } finally {
    await store.close();
  }
}

/** What the loop reads once per call: the request, the project facts. */
interface RunInputs {
  request: string;
  intelligence: string | null;
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
    if (options.signal?.aborted === true) return { pause: "stopped by Ctrl-C or a signal" };
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

/** Ends the call with the run waiting on its open ask (said once in the journal). */
async function waitForHuman(ctx: RunContext, run: PipelineRun): Promise<void> {
  if (run.status === "needs_human") return;
  const askId = run.openAskIds[0] ?? "";
  const { options } = (await readAsk(ctx.paths, askId)).ask;
  const choices =
    options.length === 0 ? '"<your answer>"' : options.map((option) => option.key).join("|");
  await ctx.record({
    type: "run.completed",
    status: "needs_human",
    reason: `waiting for an answer: bosun answer ${askId} ${choices}`,
  });
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

/** The checked plan, once the plan pair wrote one. */
async function readPlan(ctx: RunContext, run: PipelineRun): Promise<PhasePlan | undefined> {
  if (!run.options.pairs.includes("plan")) return undefined;
  const read = await readAgentJson(getPlanFile(ctx));
  if (!read.isValid) return undefined;
  const parsed = parsePhasePlan(read.report);
  if (!parsed.ok)
    throw new StateError(
      `The accepted plan ${getPlanFile(ctx)} is no longer valid (${parsed.error}); restore it, then: bosun pipeline --resume ${ctx.runId}`,
    );
  return parsed.value;
}

function getPlanFile(ctx: RunContext): string {
  return path.join(ctx.paths.pairArtifactDir(ctx.runId, "plan"), "plan.json");
}

function getAuditFile(ctx: RunContext): string {
  return path.join(ctx.paths.pairArtifactDir(ctx.runId, "audit"), "audit.json");
}

function buildScope(
  ctx: RunContext,
  run: PipelineRun,
  stage: PipelineStage,
  iteration: number,
): RoundScope {
  return {
    taskId: run.taskId,
    phase: stage.phase,
    round: iteration,
    cwd: ctx.paths.root,
    harnesses: {
      worker: run.options.producer,
      verifier: run.options.verifier,
      answerer: run.options.producer,
    },
    maxRounds: run.options.maxIterations,
    timeoutSec: run.options.timeoutSec,
    resumeCommand: `bosun pipeline --resume ${ctx.runId}`,
  };
}

/** What the prompts of an iteration draw on. */
async function buildContext(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
): Promise<IterationContext> {
  const scope = buildScope(ctx, run, stage, iteration);
  const plan = stage.pair === "plan" ? undefined : await readPlan(ctx, run);
  const phase = plan?.phases.find((item) => item.id === stage.phaseId);
  const carried = await readCarried(ctx, scope);
  const artifactFile =
    stage.pair === "plan"
      ? getPlanFile(ctx)
      : stage.pair === "audit"
        ? getAuditFile(ctx)
        : undefined;
  return {
    stage,
    iteration,
    maxIterations: run.options.maxIterations,
    taskId: run.taskId,
    cwd: ctx.paths.root,
    request: inputs.request,
    ledger: await readLedger(ctx.paths, ctx.runId),
    intelligence: inputs.intelligence,
    ...(plan === undefined ? {} : { plan }),
    ...(phase === undefined ? {} : { phase }),
    verify: run.options.verify,
    isGitless: run.options.isGitDisabled,
    fixItems: carried.fixItems,
    ...(carried.note === undefined ? {} : { note: carried.note }),
    reportFile: getRoundFile(ctx, scope, "work_report.json"),
    ...(artifactFile === undefined ? {} : { artifactFile }),
  };
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
  const documentGate =
    stage.pair === "plan"
      ? createDocumentGate("plan", getPlanFile(ctx), parsePhasePlan)
      : stage.pair === "audit"
        ? createDocumentGate("audit", getAuditFile(ctx), parseAuditReport)
        : undefined;
  await runPipelineIteration(ctx, scope, {
    context,
    ...(documentGate === undefined ? {} : { documentGate }),
    // The verifier judges the pair's whole work: from where its first iteration started (the
    // audit: from where the run started).
    getDiffBase: () =>
      stage.pair === "audit"
        ? run.baseCommit
        : (getTaskState(ctx.state, run.taskId, stage.phase)?.rounds.get(1)?.startHead ??
          run.baseCommit),
  });
}

/** A gate that checks the document a producer was told to write (the plan, the audit). */
function createDocumentGate(
  name: "plan" | "audit",
  file: string,
  parse: (value: unknown) => { ok: true } | { ok: false; error: string },
): Gate<WorkerProduction> {
  return {
    name,
    run: async () => {
      const read = await readAgentJson(file);
      const error = !read.isValid
        ? read.error
        : ((result) => (result.ok ? undefined : result.error))(parse(read.report));
      if (error === undefined) return { passed: true, detail: `${file} is valid`, fixItems: [] };
      return {
        passed: false,
        detail: error,
        fixItems: [{ source: name, reason: `Fix ${file}: ${error}` }],
      };
    },
  };
}

/** The previous iteration's fix list, and a human's note given since. */
async function readCarried(
  ctx: RunContext,
  scope: RoundScope,
): Promise<{ fixItems: IterationContext["fixItems"]; note?: string }> {
  if (scope.round === 1) return { fixItems: [] };
  const previous = await readJson(
    getRoundFile(ctx, { ...scope, round: scope.round - 1 }, "fix_list.json"),
    FixListSchema,
  );
  const task = getTaskState(ctx.state, scope.taskId, scope.phase);
  const previousEnd = task?.rounds.get(scope.round - 1)?.completed;
  const answered = task?.lastAnswer;
  let note: string | undefined;
  if (answered !== undefined && answered.seq > (previousEnd?.seq ?? 0))
    note = (await readAsk(ctx.paths, answered.askId)).answer?.note;
  return { fixItems: previous?.items ?? [], ...(note === undefined ? {} : { note }) };
}

/**
 * Puts a verifier's question (or a blocked pair) to a human through the mailbox, and into the
 * ledger. With --full-auto-answers a model answers a question at once; a blocked pair always
 * waits for a human.
 */
async function askHuman(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
  kind: "question" | "blocked",
): Promise<void> {
  const scope = buildScope(ctx, run, stage, iteration);
  const verdictFile = getRoundFile(ctx, scope, "verdict.json");
  const read = await readAgentJson(verdictFile);
  const parsed = read.isValid ? parseVerdict(read.report) : undefined;
  const verdict = parsed?.ok === true ? parsed.value : undefined;
  const askId = getAskId(ctx.runId, stage, iteration);
  const question =
    verdict?.verdict === "question"
      ? verdict.question
      : verdict?.verdict === "blocked"
        ? `${stage.phase} is blocked: ${verdict.reason}`
        : `${stage.phase} needs a human (see ${verdictFile})`;
  const suggestions = verdict?.verdict === "question" ? (verdict.options ?? []) : [];
  await writeAsk(ctx.paths, {
    version: 1,
    id: askId,
    runId: ctx.runId,
    createdAt: new Date().toISOString(),
    question: `Pipeline run ${ctx.runId} (task ${run.taskId}, ${stage.phase}, iteration ${iteration}): ${question}`,
    options:
      kind === "blocked"
        ? [
            { key: "retry", label: "run the pair again (say what changed in --note)" },
            { key: "abort", label: "stop the run" },
          ]
        : [],
    context:
      kind === "question"
        ? `Answer in your own words${suggestions.length === 0 ? "" : `; the verifier suggests: ${suggestions.join(" | ")}`}. The answer goes into ${ctx.paths.decisionsFile(ctx.runId)}, which every later prompt of the task includes.`
        : `Verdict: ${verdictFile}.`,
  });
  await appendLedgerQuestion(ctx.paths, ctx.runId, {
    askId,
    phase: stage.phase,
    iteration,
    question,
  });
  await ctx.record({
    type: "ask.created",
    askId,
    taskId: run.taskId,
    phase: stage.phase,
    round: iteration,
    question,
  });
}

/**
 * --full-auto-answers: the open questions no one answered yet go to a model (also after a crash
 * during the model's answer). A blocked pair's ask (it has options) always waits for a human.
 */
async function answerOpenQuestions(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
): Promise<void> {
  if (!run.options.isFullAutoAnswers) return;
  for (const askId of [...ctx.state.openAsks.keys()]) {
    const { ask, answer } = await readAsk(ctx.paths, askId);
    const asked = findAsk(ctx.state, askId);
    if (answer !== null || ask.options.length > 0 || asked?.round === undefined) continue;
    const stage = findStage(run, asked.phase);
    if (stage === undefined) continue;
    const verdictFile = getRoundFile(ctx, buildScope(ctx, run, stage, asked.round), "verdict.json");
    const read = await readAgentJson(verdictFile);
    const parsed = read.isValid ? parseVerdict(read.report) : undefined;
    const suggestions =
      parsed?.ok === true && parsed.value.verdict === "question"
        ? (parsed.value.options ?? [])
        : [];
    await answerByModel(ctx, run, inputs, stage, asked.round, {
      askId,
      question: asked.question,
      suggestions,
    });
  }
}

/** The stage whose journal phase is `phase`. */
function findStage(run: PipelineRun, phase: string | undefined): PipelineStage | undefined {
  if (phase === undefined) return undefined;
  const [pair, phaseId] = phase.split("/", 2);
  const known = run.options.pairs.find((item) => item === pair);
  if (known === undefined) return undefined;
  return { pair: known, ...(phaseId === undefined ? {} : { phaseId }), phase };
}

/** --full-auto-answers: a model answers in the human's place, and says so in the ledger. */
async function answerByModel(
  ctx: RunContext,
  run: PipelineRun,
  inputs: RunInputs,
  stage: PipelineStage,
  iteration: number,
  ask: { askId: string; question: string; suggestions: readonly string[] },
): Promise<void> {
  const scope = buildScope(ctx, run, stage, iteration);
  const answerFile = getRoundFile(ctx, scope, "answer.json");
  const context = await buildContext(ctx, run, inputs, stage, iteration);
  const check = async (): Promise<ReportCheck<{ answer: string }>> => {
    const read = await readAgentJson(answerFile);
    if (!read.isValid) return read;
    const parsed = ModelAnswerSchema.safeParse(read.report);
    return parsed.success
      ? { isValid: true, report: parsed.data }
      : { isValid: false, error: `${answerFile}: write {"answer": "..."} with a non-empty answer` };
  };
  // An answerer only answers: whatever it changes in the tree is discarded (saved first).
  const discard = (): Promise<void> =>
    discardChangesSince(ctx, scope, "The answerer", " An answerer must not change files.");
  const reply = await runSeatWithReprompt(ctx, scope, {
    seat: "answerer",
    basePrompt: buildAnswererPrompt(context, ask.question, ask.suggestions, answerFile),
    reportFile: answerFile,
    check,
    afterAttempt: discard,
  });
  // Also after a resume that runs no attempt again: bosun killed between the answerer's end and
  // its discard left the answerer's changes, which the next iteration would refuse as a human's.
  await discard();
  if (!reply.isValid)
    throw new AgentError(
      `--full-auto-answers: the model gave no answer to ${ask.askId}: ${reply.error}`,
      {
        isPermanent: true,
      },
    );
  await writeAnswer(ctx.paths, ask.askId, reply.report.answer, {
    source: `model (${run.options.producer}, --full-auto-answers)`,
  });
}

/**
 * Takes the answers given to the run's open asks into the ledger and the journal. Returns false
 * while one is still unanswered (or answered with something that is not one of its options).
 */
async function takeAnswers(ctx: RunContext): Promise<boolean> {
  for (const askId of [...ctx.state.openAsks.keys()]) {
    const { ask, answer, answerProblem } = await readAsk(ctx.paths, askId);
    if (answer === null) return false;
    if (answerProblem !== undefined) {
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        message: `The answer was not taken: ${answerProblem}. Correct that file, or delete it and run "bosun answer ${askId} <answer>".`,
      });
      return false;
    }
    const asked = findAsk(ctx.state, askId);
    await appendLedgerAnswer(ctx.paths, ctx.runId, {
      askId,
      answer: answer.answer,
      ...(answer.note === undefined ? {} : { note: answer.note }),
      by: answer.source.startsWith("model") ? answer.source : `a human, via ${answer.source}`,
    });
    await ctx.record({
      type: "ask.answered",
      askId,
      ...(asked?.taskId === undefined ? {} : { taskId: asked.taskId }),
      ...(asked?.phase === undefined ? {} : { phase: asked.phase }),
      answer: answer.answer,
      // "Run the pair again", or a human's answer to a question, is one more iteration, also
      // when the asking one was the pair's last. A model's answer grants none: a verifier that
      // kept asking would otherwise loop for ever under --full-auto-answers.
      ...(isIterationGranted(ask, answer) ? { extraRounds: 1 } : {}),
    });
  }
  return true;
}

/** True when a human's answer to the ask earns the pair one more iteration (see takeAnswers). */
function isIterationGranted(ask: Ask, answer: Answer): boolean {
  if (ask.options.length === 0) return !answer.source.startsWith("model");
  return answer.answer === "retry" && ask.options.some((option) => option.key === "retry");
}

/** The ask.created event of an open ask (the last ask of its task and phase). */
function findAsk(index: RunIndex, askId: string): AskCreated | undefined {
  for (const task of index.tasks.values()) if (task.lastAsk?.askId === askId) return task.lastAsk;
  return undefined;
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
