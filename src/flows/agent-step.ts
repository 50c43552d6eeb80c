/**
 * Runs one seat's agent for one round attempt and journals it: dispatch.started before the spawn,
 * the cost line and dispatch.completed after it. Handles the manual seat, and the one re-prompt
 * after a missing or invalid report. A finished attempt is never run again: the index says which
 * finished. An attempt may continue an earlier agent session, falling back to a fresh one.
 */
import { AgentBudgetSpentError } from "../agents/attempt.js";
import { AgentStallError } from "../agents/stall-watch.js";
import {
  dispatch,
  killOrphanedAgent,
  type DispatchRequest,
  type DispatchResult,
} from "../agents/dispatch.js";
import { canCapSpend, resolveHarness } from "../agents/harnesses.js";
import { AgentError, CancelledError, StateError, type BudgetExhaustedError } from "../errors.js";
import { dispatchKey } from "../store/run-index.js";
import { appendJsonl } from "../store/jsonl.js";
import { CostLineSchema } from "../store/schema/costs.js";
import type { Seat } from "../store/schema/events.js";
import type { DispatchReservation, RoundScope, RunContext } from "./flow-context.js";
import { getResumeSessionId, runResumed, type SessionResume } from "./agent-session.js";
import { waitForManualReport } from "./manual.js";
import type { ReportCheck } from "./report-check.js";
import { getScopeRound, lookAtTree, readHead } from "./round-head.js";

/** Directory of one seat attempt's prompt and logs: rounds/<n>/<seat>[-<attempt>]/. */
export function getAttemptDir(
  ctx: RunContext,
  scope: RoundScope,
  seat: Seat,
  attempt: number,
): string {
  return ctx.paths.attemptDir(ctx.runId, scope.taskId, scope.round, seat, attempt, scope.phase);
}

/** True when the attempt's completion is journaled. */
export function isDispatchCompleted(
  ctx: RunContext,
  scope: RoundScope,
  seat: Seat,
  attempt: number,
): boolean {
  return getScopeRound(ctx, scope)?.completedDispatches.has(dispatchKey(seat, attempt)) === true;
}

/** One attempt of a seat. */
interface AgentStep {
  seat: Seat;
  attempt: number;
  /** The prompt; with `resume`, only the continuation the resumed session needs. */
  prompt: string;
  reportFile: string;
  checkReport: () => Promise<{ isValid: boolean; error?: string }>;
  /** Runs once nothing of an earlier attempt is left running, right before this one starts. */
  beforeStart?: () => Promise<void>;
  /** Continue this session instead of starting a fresh one, where the harness can. */
  resume?: SessionResume;
}

/** How a seat's re-prompt after a rejected report reads. */
function getRejection(reportFile: string, error: string): string {
  return `## Your previous report was rejected\n${error}\nWrite a corrected report to ${reportFile}.\n`;
}

/**
 * Runs a seat; when its report is missing or invalid, re-prompts once with the exact error.
 * Attempts already journaled as completed are not run again. A seat that keeps its session
 * re-prompts in the session attempt 1 ended in, with only the rejection.
 */
export async function runSeatWithReprompt<T>(
  ctx: RunContext,
  scope: RoundScope,
  step: {
    seat: Seat;
    /** The prompt; with `resume`, only the continuation the resumed session needs. */
    basePrompt: string;
    reportFile: string;
    check: () => Promise<ReportCheck<T>>;
    /** Before each attempt that runs, once nothing of an earlier one is left running. */
    beforeStart?: () => Promise<void>;
    /** After each attempt that ran, however it ended. */
    afterAttempt?: () => Promise<void>;
    /** Attempt 1 continues this session (an earlier round's); implies `isSessionKept`. */
    resume?: SessionResume;
    /** A re-prompt resumes the session attempt 1 reported instead of starting afresh. */
    isSessionKept?: boolean;
    /**
     * Text for the end of the prompt (and of a resume's fresh prompt), asked for once, right
     * before the first attempt that runs: a worker's messages from the human (`deliverTells`).
     */
    readPromptAddition?: () => Promise<string>;
  },
): Promise<ReportCheck<T>> {
  const isSessionKept = step.resume !== undefined || step.isSessionKept === true;
  let report: ReportCheck<T> = { isValid: false, error: "not run" };
  let basePrompt = step.basePrompt;
  let baseResume = step.resume;
  let readAddition = step.readPromptAddition;
  for (const attempt of [1, 2]) {
    if (!isDispatchCompleted(ctx, scope, step.seat, attempt)) {
      if (readAddition !== undefined) {
        const addition = await readAddition();
        readAddition = undefined;
        basePrompt += addition;
        if (baseResume !== undefined)
          baseResume = { ...baseResume, freshPrompt: baseResume.freshPrompt + addition };
      }
      let prompt = basePrompt;
      let resume = baseResume;
      if (attempt > 1 && !report.isValid) {
        const rejection = getRejection(step.reportFile, report.error);
        const freshPrompt = `${baseResume?.freshPrompt ?? basePrompt}\n${rejection}`;
        // From the index, so a re-prompt after a crash resumes the same session.
        const sessionId = isSessionKept
          ? getScopeRound(ctx, scope)?.completedDispatches.get(dispatchKey(step.seat, 1))?.sessionId
          : undefined;
        prompt = sessionId === undefined ? freshPrompt : rejection;
        resume = sessionId === undefined ? undefined : { sessionId, freshPrompt };
      }
      try {
        await runAgentStep(ctx, scope, {
          seat: step.seat,
          attempt,
          prompt,
          reportFile: step.reportFile,
          checkReport: step.check,
          ...(step.beforeStart === undefined ? {} : { beforeStart: step.beforeStart }),
          ...(resume === undefined ? {} : { resume }),
        });
      } finally {
        await step.afterAttempt?.();
      }
    }
    report = await step.check();
    if (report.isValid) return report;
  }
  return report;
}

/**
 * Runs the agent for a seat attempt (or waits for a manual report) and journals the result.
 * With `resume`, where the harness can resume, the call continues that session with the step's
 * prompt; if the resume fails, a warning says why and the same attempt runs a fresh session
 * with `resume.freshPrompt`, journaled (and costed) as one dispatch.
 */
export async function runAgentStep(
  ctx: RunContext,
  scope: RoundScope,
  step: AgentStep,
): Promise<void> {
  const { seat, attempt } = step;
  const { round, taskId } = scope;
  const harnessName = scope.harnesses[seat];
  if (harnessName === undefined)
    throw new StateError(`Run ${ctx.runId}: no harness for the ${seat} of task ${taskId}.`);
  const logDir = getAttemptDir(ctx, scope, seat, attempt);
  // A bosun killed mid-dispatch may have left its agent running; it must not race the new one.
  if (await killOrphanedAgent(logDir, ctx.config.dispatch.graceSec * 1000))
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      taskId,
      message: `Killed an agent left running by an earlier bosun process (${logDir}).`,
    });
  const resumeSessionId = getResumeSessionId(step.resume, harnessName, ctx.config.agents);
  // A harness that cannot resume gets the whole context at once.
  const prompt =
    resumeSessionId === undefined ? (step.resume?.freshPrompt ?? step.prompt) : step.prompt;
  await step.beforeStart?.();
  // The agent may write the tree: what bosun last saw of it no longer holds.
  ctx.looks?.forget(scope.cwd);
  // Reserved before the event: a dispatch that would pass a cap never starts, and one started is
  // journaled with what it set aside (counted as spent if bosun dies during it).
  const reservation = ctx.budget?.reserve(scope, seat, {
    name: harnessName,
    isCapped:
      harnessName !== "manual" && canCapSpend(resolveHarness(harnessName, ctx.config.agents)),
  });
  const ended = {
    taskId,
    ...(scope.phase === undefined ? {} : { phase: scope.phase }),
    round,
    seat,
    ...(scope.role === undefined || seat !== "worker" ? {} : { role: scope.role }),
    harness: harnessName,
    attempt,
  };
  try {
    await ctx.record({
      type: "dispatch.started",
      ...ended,
      ...(reservation === undefined ? {} : { reservedUsd: reservation.estimateUsd }),
      ...(reservation?.capUsd === undefined ? {} : { capUsd: reservation.capUsd }),
      ...(resumeSessionId === undefined ? {} : { resumeSessionId }),
    });
  } catch (error) {
    reservation?.settle(0);
    throw error;
  }
  const ref = { runId: ctx.runId, taskId, round, seat };

  if (harnessName === "manual") {
    const promptFile = `${logDir}/prompt.md`;
    ctx.emit({ type: "manual.waiting", ...ref, promptFile, reportFile: step.reportFile });
    const startedAt = performance.now();
    try {
      await waitForManualReport({
        promptFile,
        prompt,
        reportFile: step.reportFile,
        isReady: step.checkReport,
        onInvalid: (error) =>
          ctx.emit({
            type: "warning",
            runId: ctx.runId,
            taskId,
            message: `Manual report not accepted yet: ${error}`,
          }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    } catch (error) {
      reservation?.settle(0);
      await recordStopped(ctx, scope, ended, error);
      throw error;
    }
    reservation?.settle(0);
    await ctx.record({
      type: "dispatch.completed",
      ...ended,
      head: await readHead(ctx, scope.cwd),
      exitCode: 0,
      costUsd: 0,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs: Math.round(performance.now() - startedAt),
      spawns: 1,
    });
    return;
  }

  const resolved = resolveHarness(harnessName, ctx.config.agents);
  // A role's own model and thinking (bosun.yaml team:) apply to the worker playing it.
  const harness =
    seat === "worker" && scope.workerModel !== undefined
      ? {
          ...resolved,
          model: scope.workerModel.model ?? resolved.model,
          thinking: scope.workerModel.thinking ?? resolved.thinking,
        }
      : resolved;
  let result: DispatchResult & { isSessionResumed?: boolean };
  try {
    const request: DispatchRequest = {
      harness,
      prompt,
      cwd: scope.cwd,
      logDir,
      timeoutMs: scope.timeoutSec * 1000,
      stallTimeoutMs: ctx.config.dispatch.stallTimeoutSec * 1000,
      toolCallTimeoutMs: ctx.config.dispatch.toolCallTimeoutSec * 1000,
      repeatedToolFailures: ctx.config.dispatch.repeatedToolFailures,
      graceMs: ctx.config.dispatch.graceSec * 1000,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      env: {
        ...scope.env,
        BOSUN_RUN_ID: ctx.runId,
        BOSUN_TASK_ID: taskId,
        ...(scope.phase === undefined ? {} : { BOSUN_PHASE: scope.phase }),
        BOSUN_RUN_DIR: ctx.paths.runDir(ctx.runId),
        BOSUN_ROUND: String(round),
        BOSUN_SEAT: seat,
        // The seat under its version 1 name, for scripts and tools written against it.
        BOSUN_ROLE: seat,
        ...(scope.role === undefined ? {} : { BOSUN_SME_ROLE: scope.role }),
        BOSUN_ATTEMPT: String(attempt),
        BOSUN_REPORT_FILE: step.reportFile,
      },
      retry: {
        retries: ctx.config.dispatch.retries,
        baseMs: ctx.config.dispatch.retryBaseSec * 1000,
        capMs: ctx.config.dispatch.retryCapSec * 1000,
      },
      prices: ctx.config.prices,
      onEvent: (event) => ctx.emit({ type: "agent.output", ...ref, event }),
      onRetry: ({ attempt: spawn, delayMs, message }) =>
        ctx.emit({ type: "agent.retry", ...ref, spawn, delayMs, message }),
      ...(ctx.pauses === undefined ? {} : { pauses: ctx.pauses }),
      // The cap reserved for this call, where the CLI can hold it (Claude Code): exactly that.
      ...(reservation?.capUsd === undefined ? {} : { maxBudgetUsd: reservation.capUsd }),
      onPause: async ({ harness: paused, until, reason }) => {
        await ctx.record({
          type: "harness.paused",
          harness: paused,
          until: until.toISOString(),
          reason,
        });
      },
    };
    result =
      resumeSessionId === undefined
        ? await (ctx.runAgent ?? dispatch)(request)
        : await runResumed(ctx, taskId, request, {
            sessionId: resumeSessionId,
            freshPrompt: step.resume?.freshPrompt ?? prompt,
          });
  } catch (error) {
    const budgetStop = settleFailed(reservation, error);
    await recordStopped(ctx, scope, ended, error);
    throw budgetStop ?? error;
  }
  reservation?.settle(result.costUsd);
  for (const warning of result.warnings)
    ctx.emit({ type: "warning", runId: ctx.runId, taskId, message: warning });
  const tokens = {
    inputTokens: result.tokens.inputTokens,
    cachedInputTokens: result.tokens.cachedInputTokens,
    outputTokens: result.tokens.outputTokens,
  };
  const model = result.model ?? (harness.model === "" ? undefined : harness.model);
  // The cost line goes first: if bosun dies before the event, the dispatch is re-run and its
  // second cost is real too; the reverse order could lose a cost that was really spent.
  await appendJsonl(ctx.paths.costsFile, CostLineSchema, {
    ts: new Date().toISOString(),
    runId: ctx.runId,
    taskId,
    round,
    seat,
    ...(ended.role === undefined ? {} : { role: ended.role }),
    harness: harnessName,
    ...(model === undefined ? {} : { model }),
    ...tokens,
    costUsd: result.costUsd,
    isCostEstimated: result.isCostEstimated,
  });
  // Where bosun keeps looks, one look at HEAD and the uncommitted paths serves the record and
  // the round's next step; elsewhere (a review, in the user's checkout) HEAD alone is read.
  const head =
    ctx.looks === undefined
      ? await readHead(ctx, scope.cwd)
      : (await lookAtTree(ctx, scope.cwd)).head;
  await ctx.record({
    type: "dispatch.completed",
    ...ended,
    head,
    exitCode: result.exitCode,
    ...(result.sessionId === undefined ? {} : { sessionId: result.sessionId }),
    ...(model === undefined ? {} : { model }),
    costUsd: result.costUsd,
    isCostEstimated: result.isCostEstimated,
    tokens,
    durationMs: result.durationMs,
    spawns: result.spawns,
    ...(result.isSessionResumed === undefined ? {} : { isSessionResumed: result.isSessionResumed }),
  });
}

/**
 * Records how an attempt ended without a result: failed (AgentError) or stopped by a signal
 * (CancelledError). Each record keeps HEAD as the agent left it: commits on top of that later
 * are someone else's, never the agent's.
 */
async function recordStopped(
  ctx: RunContext,
  scope: RoundScope,
  ended: {
    taskId: string;
    round: number;
    seat: Seat;
    harness: string;
    attempt: number;
    phase?: string;
    role?: string;
  },
  error: unknown,
): Promise<void> {
  if (error instanceof AgentError) {
    await ctx.record({
      type: "dispatch.failed",
      ...ended,
      message: error.message,
      isPermanent: error.isPermanent,
      ...(error instanceof AgentStallError ? { stall: error.kind } : {}),
      ...(error instanceof AgentBudgetSpentError ? { costUsd: error.costUsd } : {}),
      head: await readHead(ctx, scope.cwd),
    });
  } else if (error instanceof CancelledError) {
    await ctx.record({
      type: "dispatch.cancelled",
      ...ended,
      head: await readHead(ctx, scope.cwd),
    });
  }
}

/**
 * Settles the reservation of a call that threw. A capped call its CLI stopped at its cap spent
 * a known amount and ran out of budget: the budget stop it returns replaces the agent's failure,
 * so the task or run stops for the budget instead of failing. Any other failed or stopped call's
 * spend is unknown to bosun (`settle(null)`).
 */
function settleFailed(
  reservation: DispatchReservation | undefined,
  error: unknown,
): BudgetExhaustedError | undefined {
  if (reservation === undefined) return undefined;
  if (!(error instanceof AgentBudgetSpentError)) {
    reservation.settle(null);
    return undefined;
  }
  if (reservation.capUsd === undefined) {
    reservation.settle(error.costUsd);
    return undefined;
  }
  return reservation.settleCapSpent(error.costUsd);
}
