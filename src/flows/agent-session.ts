/**
 * Keeping an agent's session across a seat's calls: whether a call can resume one, and the
 * resumed call with its fallback to a fresh session when the resume fails.
 */
import { AgentBudgetSpentError } from "../agents/attempt.js";
import { dispatch, type DispatchRequest, type DispatchResult } from "../agents/dispatch.js";
import { resolveHarness, type ResolvedHarness } from "../agents/harnesses.js";
import { AgentError } from "../errors.js";
import type { RunContext } from "./flow-context.js";

/** An agent session to continue, and what to send instead when it cannot be. */
export interface SessionResume {
  /** The session (thread) id an earlier call reported (`dispatch.completed`'s `sessionId`). */
  sessionId: string;
  /**
   * The whole context, for a fresh session: sent when the harness cannot resume one, or when
   * the resume fails.
   */
  freshPrompt: string;
}

/** The session to resume: the step's, unless there is none or its harness cannot resume one. */
export function getResumeSessionId(
  resume: SessionResume | undefined,
  harnessName: string,
  agents: RunContext["config"]["agents"],
): string | undefined {
  if (resume === undefined || resume.sessionId === "" || harnessName === "manual") return undefined;
  return canResumeSession(resolveHarness(harnessName, agents)) ? resume.sessionId : undefined;
}

/** True when the harness's command line can name a session to resume. */
function canResumeSession(harness: ResolvedHarness): boolean {
  const { spec } = harness;
  // A custom template that names {{session_id}} resumes through its one command line.
  return (
    spec.resumeArgs !== undefined || spec.headlessArgs.some((arg) => arg.includes("{{session_id}}"))
  );
}

/**
 * Resumes the session with the request's prompt; when that fails as an agent (not for a spent
 * budget, nor a stop), warns and runs a fresh session with `freshPrompt` instead. The result is
 * both calls as one: time and spawns add up. A failed call's cost is not known to bosun (dispatch
 * throws none but a spent budget's, which never falls back; a session the CLI did not find cost
 * nothing), so the cost is the fresh call's, counted once.
 */
export async function runResumed(
  ctx: RunContext,
  taskId: string,
  request: DispatchRequest,
  resume: SessionResume,
): Promise<DispatchResult & { isSessionResumed: boolean }> {
  const run = ctx.runAgent ?? dispatch;
  const startedAt = performance.now();
  // dispatch announces each spawn after its first through onRetry.
  let resumeSpawns = 1;
  try {
    const resumed = await run({
      ...request,
      sessionId: resume.sessionId,
      onRetry: (info) => {
        resumeSpawns += 1;
        request.onRetry?.(info);
      },
    });
    return { ...resumed, isSessionResumed: true };
  } catch (error) {
    if (!(error instanceof AgentError) || error instanceof AgentBudgetSpentError) throw error;
    ctx.emit({
      type: "warning",
      runId: ctx.runId,
      taskId,
      message: `Could not resume ${request.harness.spec.name} session ${resume.sessionId} (${error.message}); starting a fresh session with the whole context.`,
    });
  }
  const resumeMs = performance.now() - startedAt;
  const fresh = await run({ ...request, prompt: resume.freshPrompt });
  return {
    ...fresh,
    durationMs: Math.round(resumeMs + fresh.durationMs),
    spawns: resumeSpawns + fresh.spawns,
    isSessionResumed: false,
  };
}
