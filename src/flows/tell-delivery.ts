/**
 * Delivering tells: right before a round's worker is dispatched, the run's process takes the
 * tells waiting for that task (or for the whole run), journals `tell.delivered` for each, moves
 * their files under `tells/delivered/`, and returns the prompt section with every tell of the
 * round. The journal, not the file, says what was delivered: a tell is never delivered twice,
 * and a round re-dispatched after a crash sends the same messages again.
 */
import { markTellDelivered, readTells } from "../human/tells.js";
import type { RunEvent } from "../store/schema/events.js";
import type { RoundScope, RunContext } from "./flow-context.js";

type TellDelivered = Extract<RunEvent, { type: "tell.delivered" }>;

/** What each run context has claimed already (parallel tasks of a team run share one context). */
const claimsByContext = new WeakMap<RunContext, { claimed: Set<string>; warned: Set<string> }>();

/**
 * Delivers the tells waiting for the scope's worker and returns the prompt section holding every
 * tell of the scope's round, or "" when there is none. Call it once the worker is about to run.
 */
export async function deliverTells(ctx: RunContext, scope: RoundScope): Promise<string> {
  let claims = claimsByContext.get(ctx);
  if (claims === undefined) {
    claims = { claimed: new Set(), warned: new Set() };
    claimsByContext.set(ctx, claims);
  }
  const { pending, problems } = await readTells(ctx.paths, ctx.runId);
  for (const problem of problems) {
    if (claims.warned.has(problem)) continue;
    claims.warned.add(problem);
    ctx.emit({ type: "warning", runId: ctx.runId, message: `Tell not delivered: ${problem}` });
  }
  for (const tell of pending) {
    if (ctx.state.deliveredTells.has(tell.id)) {
      // Journaled as delivered, but bosun died before it moved the file: finish that.
      await markTellDelivered(ctx.paths, tell.id);
      continue;
    }
    if (tell.taskId !== undefined && tell.taskId !== scope.taskId) continue;
    // Claimed before the await: a run-wide tell goes to one task, not to each one starting now.
    if (claims.claimed.has(tell.id)) continue;
    claims.claimed.add(tell.id);
    await ctx.record({
      type: "tell.delivered",
      taskId: scope.taskId,
      ...(scope.phase === undefined ? {} : { phase: scope.phase }),
      round: scope.round,
      tellId: tell.id,
      text: tell.text,
      source: tell.source,
      sentAt: tell.createdAt,
    });
    await markTellDelivered(ctx.paths, tell.id);
  }
  const ofRound = [...ctx.state.deliveredTells.values()].filter(
    (event) =>
      event.taskId === scope.taskId && event.phase === scope.phase && event.round === scope.round,
  );
  return formatTellSection(ofRound);
}

/**
 * The prompt section of a round's tells, oldest first. Each line is quoted, so a message cannot
 * pass for a heading of bosun's own prompt.
 */
export function formatTellSection(tells: readonly TellDelivered[]): string {
  if (tells.length === 0) return "";
  const items = tells.map((tell) => {
    const quoted = tell.text
      .split(/\r?\n/)
      .map((line) => `> ${line}`)
      .join("\n");
    return `Sent ${tell.sentAt} (via ${tell.source}):\n${quoted}`;
  });
  return `\n## Messages from the human, sent while you worked\nThe person running bosun sent you these while the run was under way, oldest first. Take them into account in this round's work.\n\n${items.join("\n\n")}\n`;
}
