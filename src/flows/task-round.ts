/**
 * The durable round of one task, whatever the flow: round start, the worker (re-prompted once on
 * a bad report), bosun's checkpoint commit, the gates with their journal, the verifier, the fix
 * list for the next round and the verdict. Every step consults the run's index first, so resume
 * never repeats one. A flow supplies only what differs: the worker's prompt, which gates, which
 * verifier — `bosun review` is this round in a loop on one task in the user's checkout; a team
 * task is the same round in its own worktree with more gates and a critic.
 */
import { UsageError } from "../errors.js";
import { readJson, writeJsonAtomic } from "../store/json-file.js";
import {
  FixListSchema,
  GatesFileSchema,
  WorkReportSchema,
  type GateResult,
  type WorkReport,
} from "../store/schema/reports.js";
import { commitChanges, getHead, listChangedFiles } from "../workspace/git.js";
import { runSeatWithReprompt } from "./agent-step.js";
import { getRoundFile, type RoundScope, type RunContext } from "./flow-context.js";
import { checkReportFile, type ReportCheck } from "./report-check.js";
import {
  runRound,
  type Gate,
  type GateJournal,
  type RoundVerdict,
  type StepResult,
  type VerifierOutcome,
} from "./round.js";
import { getScopeRound, lookAtTree, reconcileHead } from "./round-head.js";
import { deliverTells } from "./tell-delivery.js";

/** What the worker's step produced, measured by bosun. */
export interface WorkerProduction {
  /** The commit the change is measured from. */
  parent: string;
  /** bosun's checkpoint (or HEAD when the worker left nothing to commit). */
  commit: string;
  /** Files changed between the two, measured by git. */
  filesChanged: string[];
  /** The worker's report, checked. */
  report: ReportCheck<WorkReport>;
  /** Where the worker was told to write it. */
  reportFile: string;
}

/** What a flow puts into a task round. */
export interface TaskRoundParts {
  /** The worker's prompt for this round, telling it to write its report to `reportFile`. */
  buildWorkerPrompt(reportFile: string): Promise<string>;
  /**
   * The worker's session to resume (a pipeline producer's, from its previous iteration): the
   * prompt above is then the continuation, and `buildFreshPrompt` the whole context, sent to a
   * fresh session when the resume fails.
   */
  workerResume?: { sessionId: string; buildFreshPrompt(reportFile: string): string };
  /** The worker keeps its session for a re-prompt after a bad report (a pipeline producer). */
  isWorkerSessionKept?: boolean;
  /** Gates, cheapest first. */
  gates: ReadonlyArray<Gate<WorkerProduction>>;
  /** The judge of the real diff once every gate passed (a reviewer, a critic). */
  verifier?(production: WorkerProduction): Promise<StepResult<VerifierOutcome>>;
}

/** Runs (or resumes) the scope's round and returns its verdict (already journaled). */
export async function runTaskRound(
  ctx: RunContext,
  scope: RoundScope,
  parts: TaskRoundParts,
): Promise<RoundVerdict> {
  await startRound(ctx, scope);
  const verdict = await runRound(await openGateJournal(ctx, scope), {
    produce: () => produceCheckpoint(ctx, scope, parts),
    gates: parts.gates,
    ...(parts.verifier === undefined ? {} : { verifier: parts.verifier.bind(parts) }),
  });
  const { taskId, round } = scope;
  await writeJsonAtomic(getRoundFile(ctx, scope, "fix_list.json"), FixListSchema, {
    version: 1,
    task_id: taskId,
    round,
    items: verdict.fixItems,
  });
  await ctx.record({
    type: "round.completed",
    ...scopeFields(scope),
    verdict: verdict.verdict,
    fixItems: verdict.fixItems.length,
    ...(verdict.verdict === "escalate" ? { reason: verdict.reason } : {}),
  });
  return verdict;
}

/** The journal fields that place an event in the scope's round. */
export function scopeFields(scope: RoundScope): { taskId: string; phase?: string; round: number } {
  return {
    taskId: scope.taskId,
    ...(scope.phase === undefined ? {} : { phase: scope.phase }),
    round: scope.round,
  };
}

async function startRound(ctx: RunContext, scope: RoundScope): Promise<void> {
  if (getScopeRound(ctx, scope) !== undefined) return;
  // bosun leaves the tree clean after every round: changes found before a later one are a human's.
  const { head, dirty } = await lookAtTree(ctx, scope.cwd);
  if ((scope.round > 1 || scope.isCleanStartRequired === true) && dirty.length > 0)
    throw new UsageError(
      `The working tree has uncommitted changes bosun did not make (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", …" : ""}); round ${scope.round}'s worker must not be credited with them. Commit or stash them, then: ${scope.resumeCommand}`,
    );
  await ctx.record({
    type: "round.started",
    ...scopeFields(scope),
    head,
  });
}

/**
 * gates.json plus gate.completed events. A result counts only once its event is in the journal:
 * gates.json is written first, so a crash between the two re-runs the gate rather than skipping a
 * transition nobody recorded.
 */
async function openGateJournal(ctx: RunContext, scope: RoundScope): Promise<GateJournal> {
  const gatesFile = getRoundFile(ctx, scope, "gates.json");
  const gates: GateResult[] = (await readJson(gatesFile, GatesFileSchema))?.gates ?? [];
  return {
    readGate: (name) =>
      getScopeRound(ctx, scope)?.gates.has(name) === true
        ? gates.find((gate) => gate.name === name)
        : undefined,
    writeGate: async (result) => {
      const index = gates.findIndex((gate) => gate.name === result.name);
      if (index === -1) gates.push(result);
      else gates[index] = result;
      await writeJsonAtomic(gatesFile, GatesFileSchema, { version: 1, round: scope.round, gates });
      await ctx.record({
        type: "gate.completed",
        ...scopeFields(scope),
        name: result.name,
        passed: result.passed,
        detail: result.detail,
      });
    },
  };
}

/** The worker's attempts, then bosun's own measurement of what changed: the checkpoint. */
async function produceCheckpoint(
  ctx: RunContext,
  scope: RoundScope,
  parts: TaskRoundParts,
): Promise<StepResult<WorkerProduction>> {
  const reportFile = getRoundFile(ctx, scope, "work_report.json");
  const check = (): Promise<ReportCheck<WorkReport>> =>
    checkReportFile(reportFile, WorkReportSchema, { taskId: scope.taskId, round: scope.round });
  const { workerResume } = parts;
  let report = await runSeatWithReprompt(ctx, scope, {
    seat: "worker",
    basePrompt: await parts.buildWorkerPrompt(reportFile),
    ...(workerResume === undefined
      ? {}
      : {
          resume: {
            sessionId: workerResume.sessionId,
            freshPrompt: workerResume.buildFreshPrompt(reportFile),
          },
        }),
    // A worker that keeps its session (a pipeline producer) keeps it for a re-prompt too.
    ...(parts.isWorkerSessionKept === true ? { isSessionKept: true } : {}),
    reportFile,
    check,
    // The human's messages, taken (and journaled) only when a worker attempt is about to run.
    readPromptAddition: () => deliverTells(ctx, scope),
    // Commits made since bosun last looked (while no worker ran) are never this worker's.
    beforeStart: () => reconcileHead(ctx, scope, "worker"),
  });
  const checkpoint = getScopeRound(ctx, scope)?.checkpoint;
  if (checkpoint !== undefined) {
    const { parent, commit, filesChanged } = checkpoint;
    return { kind: "done", value: { parent, commit, filesChanged, report, reportFile } };
  }
  // bosun, not the agent, measures the change: commit what is left, diff against the round's
  // base (its start, or where HEAD moved to outside the run before the worker began).
  if (getScopeRound(ctx, scope)?.isCheckpointOpen !== true) {
    await reconcileHead(ctx, scope, "checkpoint");
    await ctx.record({ type: "checkpoint.started", ...scopeFields(scope) });
  }
  if (ctx.isGitless === true) {
    // Without git there is nothing to commit or measure: the verifier judges the tree as it is.
    await ctx.record({
      type: "checkpoint.created",
      ...scopeFields(scope),
      commit: "",
      parent: "",
      filesChanged: [],
    });
    report = await check();
    return {
      kind: "done",
      value: { parent: "", commit: "", filesChanged: [], report, reportFile },
    };
  }
  const base = getScopeRound(ctx, scope)?.base ?? (await getHead(scope.cwd));
  const message =
    scope.phase === undefined
      ? `bosun: ${scope.taskId} round ${scope.round} (worker checkpoint)`
      : `bosun: ${scope.taskId} ${scope.phase} iteration ${scope.round} (producer checkpoint)`;
  // What bosun saw right after the worker stopped: the paths to commit, and HEAD under them.
  const look = ctx.looks?.getFresh(scope.cwd);
  const made = await commitChanges(
    scope.cwd,
    message,
    look?.dirty === undefined ? undefined : { head: look.head, dirty: look.dirty },
  );
  const commit = made?.commit ?? ctx.looks?.getFresh(scope.cwd)?.head ?? (await getHead(scope.cwd));
  // `add -A` staged everything and the commit took it: the tree is clean at the checkpoint.
  ctx.looks?.noteClean(scope.cwd, commit);
  // The commit's own change is the worker's unless the worker committed too (then: from base).
  const filesChanged =
    made !== null && made.parent === base
      ? made.files
      : await listChangedFiles(scope.cwd, base, commit);
  await ctx.record({
    type: "checkpoint.created",
    ...scopeFields(scope),
    commit,
    parent: base,
    filesChanged,
  });
  report = await check();
  return { kind: "done", value: { parent: base, commit, filesChanged, report, reportFile } };
}
