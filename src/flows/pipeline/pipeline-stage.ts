/**
 * What one stage's iteration of a pipeline run works with: its round scope, the documents the
 * plan and audit pairs write, and the context every prompt of the iteration draws on (the
 * request, the ledger, the plan and phase, what the previous iteration left to fix).
 */
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { StateError } from "../../errors.js";
import { readAsk } from "../../human/asks.js";
import { readJson } from "../../store/json-file.js";
import { getTaskState } from "../../store/run-index.js";
import { parsePhasePlan, type PhasePlan } from "../../store/schema/pipeline.js";
import { FixListSchema } from "../../store/schema/reports.js";
import type { PipelineRun } from "../../store/schema/run.js";
import { getRoundFile, type RoundScope, type RunContext } from "../flow-context.js";
import { readAgentJson } from "../report-check.js";
import type { Gate } from "../round.js";
import type { WorkerProduction } from "../task-round.js";
import { readLedger } from "./pipeline-files.js";
import type { PipelineStage } from "./pipeline-next.js";
import type { IterationContext } from "./pipeline-prompts.js";

/** What the loop reads once per call: the request, the project facts. */
export interface RunInputs {
  /** request.md. */
  request: string;
  /** .bosun/intelligence.md, when `bosun learn` wrote one. */
  intelligence: string | null;
}

/** Where the plan pair's producer writes the phase plan. */
export function getPlanFile(ctx: RunContext): string {
  return path.join(ctx.paths.pairArtifactDir(ctx.runId, "plan"), "plan.json");
}

/** Where the audit pair's producer writes its finding. */
export function getAuditFile(ctx: RunContext): string {
  return path.join(ctx.paths.pairArtifactDir(ctx.runId, "audit"), "audit.json");
}

/** The checked plan, once the plan pair wrote one. */
export async function readPlan(ctx: RunContext, run: PipelineRun): Promise<PhasePlan | undefined> {
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

/** The round scope of one iteration of a stage: the producer, verifier and answerer seats. */
export function buildScope(
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
    isCleanStartRequired: true,
    maxRounds: run.options.maxIterations,
    timeoutSec: run.options.timeoutSec,
    resumeCommand: `bosun pipeline --resume ${ctx.runId}`,
    isVerifyFixed: true,
  };
}

/** What the prompts of an iteration draw on. */
export async function buildContext(
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

/** A gate that checks the document a producer was told to write (the plan, the audit). */
export function createDocumentGate(
  name: "plan" | "audit",
  document: PairDocument,
  parse: (value: unknown) => { ok: true } | { ok: false; error: string },
): Gate<WorkerProduction> {
  const { file } = document;
  return {
    name,
    run: async () => {
      const read = await readAgentJson(file);
      const parsed = read.isValid ? parse(read.report) : { ok: false as const, error: read.error };
      const error = parsed.ok ? undefined : parsed.error;
      if (error === undefined) {
        // The document as checked: what the verifier judges, and what it is put back to.
        await copyFile(file, document.keptFile);
        return { passed: true, detail: `${file} is valid`, fixItems: [] };
      }
      return {
        passed: false,
        detail: error,
        fixItems: [{ source: name, reason: `Fix ${file}: ${error}` }],
      };
    },
  };
}

/**
 * A document a pair's producer writes outside the tree (the plan, the audit), and the copy the
 * gate kept of it once checked: git does not see `.bosun/`, so this copy is what undoes a
 * verifier's edit to it.
 */
export interface PairDocument {
  /** Where the producer writes it. */
  file: string;
  /** The round's copy, as the gate checked it. */
  keptFile: string;
}

/** The document of the stage's pair, if it writes one. */
export function getPairDocument(
  ctx: RunContext,
  scope: RoundScope,
  stage: PipelineStage,
): PairDocument | undefined {
  const file =
    stage.pair === "plan"
      ? getPlanFile(ctx)
      : stage.pair === "audit"
        ? getAuditFile(ctx)
        : undefined;
  return file === undefined
    ? undefined
    : { file, keptFile: getRoundFile(ctx, scope, "document.json") };
}

/** The previous iteration's fix list, and a human's note given since. */
export async function readCarried(
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

/** The stage whose journal phase is `phase`. */
export function findStage(run: PipelineRun, phase: string | undefined): PipelineStage | undefined {
  if (phase === undefined) return undefined;
  const [pair, phaseId] = phase.split("/", 2);
  const known = run.options.pairs.find((item) => item === pair);
  if (known === undefined) return undefined;
  return { pair: known, ...(phaseId === undefined ? {} : { phaseId }), phase };
}
