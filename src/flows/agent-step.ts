/**
 * Runs one role's agent for one round attempt and journals it: dispatch.started before the spawn,
 * the cost line and dispatch.completed after it. Handles the manual role. A finished attempt is
 * never run again: callers check the journal first.
 */
import path from "node:path";
import { dispatch, killOrphanedAgent, type DispatchResult } from "../agents/dispatch.js";
import { resolveHarness } from "../agents/harnesses.js";
import { AgentError, CancelledError } from "../errors.js";
import { appendJsonl } from "../store/jsonl.js";
import { CostLineSchema } from "../store/schema/costs.js";
import type { Role, RunEvent } from "../store/schema/events.js";
import { getHead } from "../workspace/git.js";
import { waitForManualReport } from "./manual.js";
import type { FlowContext } from "./flow-context.js";

/** Directory of one role attempt's prompt and logs: rounds/<n>/<role>[-<attempt>]/. */
export function getAttemptDir(
  ctx: FlowContext,
  round: number,
  role: Role,
  attempt: number,
): string {
  const roundDir = ctx.paths.roundDir(ctx.runId, ctx.taskId, round);
  return path.join(roundDir, attempt === 1 ? role : `${role}-${attempt}`);
}

/** Finds the journaled completion of an attempt, if it finished. */
export function findCompletedDispatch(
  events: readonly RunEvent[],
  round: number,
  role: Role,
  attempt: number,
): Extract<RunEvent, { type: "dispatch.completed" }> | undefined {
  for (const event of events) {
    if (
      event.type === "dispatch.completed" &&
      event.round === round &&
      event.role === role &&
      event.attempt === attempt
    ) {
      return event;
    }
  }
  return undefined;
}

/** Runs the agent for a role attempt (or waits for a manual report) and journals the result. */
export async function runAgentStep(
  ctx: FlowContext,
  step: {
    round: number;
    role: Role;
    attempt: number;
    prompt: string;
    reportFile: string;
    checkReport: () => Promise<{ isValid: boolean; error?: string }>;
    /** Runs once nothing of an earlier attempt is left running, right before this one starts. */
    beforeStart?: () => Promise<void>;
  },
): Promise<void> {
  const { round, role, attempt } = step;
  const harnessName = role === "worker" ? ctx.options.worker : ctx.options.reviewer;
  const logDir = getAttemptDir(ctx, round, role, attempt);
  // A bosun killed mid-dispatch may have left its agent running; it must not race the new one.
  if (await killOrphanedAgent(logDir, ctx.config.dispatch.graceSec * 1000))
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      message: `Killed an agent left running by an earlier bosun process (${logDir}).`,
    });
  await step.beforeStart?.();
  await ctx.record({ type: "dispatch.started", round, role, harness: harnessName, attempt });
  const ended = { round, role, harness: harnessName, attempt };

  if (harnessName === "manual") {
    const promptFile = path.join(logDir, "prompt.md");
    ctx.emit({
      type: "manual.waiting",
      runId: ctx.runId,
      round,
      role,
      promptFile,
      reportFile: step.reportFile,
    });
    const startedAt = performance.now();
    try {
      await waitForManualReport({
        promptFile,
        prompt: step.prompt,
        reportFile: step.reportFile,
        isReady: step.checkReport,
        onInvalid: (error) =>
          ctx.emit({
            type: "warning",
            runId: ctx.runId,
            message: `Manual report not accepted yet: ${error}`,
          }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    } catch (error) {
      await recordStopped(ctx, ended, error);
      throw error;
    }
    await ctx.record({
      type: "dispatch.completed",
      ...ended,
      head: await getHead(ctx.paths.root),
      exitCode: 0,
      costUsd: 0,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs: Math.round(performance.now() - startedAt),
      spawns: 1,
    });
    return;
  }

  const harness = resolveHarness(harnessName, ctx.config.agents);
  let result: DispatchResult;
  try {
    result = await dispatch({
      harness,
      prompt: step.prompt,
      cwd: ctx.paths.root,
      logDir,
      timeoutMs: ctx.options.timeoutSec * 1000,
      graceMs: ctx.config.dispatch.graceSec * 1000,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      env: {
        BOSUN_RUN_ID: ctx.runId,
        BOSUN_TASK_ID: ctx.taskId,
        BOSUN_ROUND: String(round),
        BOSUN_ROLE: role,
        BOSUN_ATTEMPT: String(attempt),
        BOSUN_REPORT_FILE: step.reportFile,
      },
      retry: {
        retries: ctx.config.dispatch.retries,
        baseMs: ctx.config.dispatch.retryBaseSec * 1000,
        capMs: ctx.config.dispatch.retryCapSec * 1000,
      },
      prices: ctx.config.prices,
      onEvent: (event) => ctx.emit({ type: "agent.output", runId: ctx.runId, round, role, event }),
      onRetry: ({ attempt: spawn, delayMs, message }) =>
        ctx.emit({
          type: "agent.retry",
          runId: ctx.runId,
          round,
          role,
          attempt: spawn,
          delayMs,
          message,
        }),
    });
  } catch (error) {
    await recordStopped(ctx, ended, error);
    throw error;
  }
  for (const warning of result.warnings)
    ctx.emit({ type: "warning", runId: ctx.runId, message: warning });
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
    taskId: ctx.taskId,
    round,
    role,
    harness: harnessName,
    ...(model === undefined ? {} : { model }),
    ...tokens,
    costUsd: result.costUsd,
    isCostEstimated: result.isCostEstimated,
  });
  await ctx.record({
    type: "dispatch.completed",
    ...ended,
    head: await getHead(ctx.paths.root),
    exitCode: result.exitCode,
    ...(result.sessionId === undefined ? {} : { sessionId: result.sessionId }),
    ...(model === undefined ? {} : { model }),
    costUsd: result.costUsd,
    isCostEstimated: result.isCostEstimated,
    tokens,
    durationMs: result.durationMs,
    spawns: result.spawns,
  });
}

/**
 * Records how an attempt ended without a result: failed (AgentError) or stopped by a signal
 * (CancelledError). Each record keeps HEAD as the agent left it: commits on top of that later
 * are someone else's, never the agent's.
 */
async function recordStopped(
  ctx: FlowContext,
  ended: { round: number; role: Role; harness: string; attempt: number },
  error: unknown,
): Promise<void> {
  if (error instanceof AgentError) {
    await ctx.record({
      type: "dispatch.failed",
      ...ended,
      message: error.message,
      isPermanent: error.isPermanent,
      head: await getHead(ctx.paths.root),
    });
  } else if (error instanceof CancelledError) {
    await ctx.record({ type: "dispatch.cancelled", ...ended, head: await getHead(ctx.paths.root) });
  }
}
