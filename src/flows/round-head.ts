/**
 * Whose commits are whose. A round measures its worker's change with git, from the HEAD the
 * worker started on; commits that land while none of the round's agents runs — a human fixing
 * something between a failure and `--resume`, say — are never the worker's. For each round
 * bosun knows the HEAD it last saw or left (round start, the end of each worker attempt, the
 * checkpoint), and before every step that measures or judges the tree it compares: a HEAD that
 * moved since is journaled as `head.moved`, and the round goes on from there.
 */
import { StateError } from "../errors.js";
import type { Role, RunEvent } from "../store/schema/events.js";
import { getHead, isAncestor, listCommits } from "../workspace/git.js";
import type { FlowContext } from "./flow-context.js";

/** Where in a round a move of HEAD is checked for. */
export type HeadStage = "worker" | "checkpoint" | "gates";

/**
 * The HEAD bosun last saw or left in `round`: its start, a later move, the end of a worker
 * attempt, or the checkpoint — whichever was journaled last. Undefined before the round starts.
 */
export function getKnownHead(events: readonly RunEvent[], round: number): string | undefined {
  let known: string | undefined;
  for (const event of events) {
    if (!("round" in event) || event.round !== round) continue;
    if (event.type === "round.started") known = event.head;
    else if (event.type === "head.moved") known = event.to;
    else if (event.type === "checkpoint.created") known = event.commit;
    else if (isWorkerEnd(event) && event.head !== undefined) known = event.head;
  }
  return known;
}

/** The commit `round`'s change is measured from: its start, or where HEAD moved to before the checkpoint. */
export function getRoundBase(events: readonly RunEvent[], round: number): string | undefined {
  let base: string | undefined;
  for (const event of events) {
    if (!("round" in event) || event.round !== round) continue;
    if (event.type === "round.started") base = event.head;
    else if (event.type === "head.moved" && event.stage !== "gates") base = event.to;
  }
  return base;
}

/** True when `role` started an attempt in `round` that never recorded an end (bosun was killed). */
export function hasOpenDispatch(events: readonly RunEvent[], round: number, role: Role): boolean {
  let open = 0;
  for (const event of events) {
    if (!("role" in event) || event.role !== role || event.round !== round) continue;
    if (event.type === "dispatch.started") open += 1;
    else if (isDispatchEnd(event)) open = Math.max(0, open - 1);
  }
  return open > 0;
}

/**
 * Journals `head.moved` when HEAD is not where bosun left it in `round`: the commits in between
 * were made outside the run. With `mustContain` (the checkpoint), a HEAD that no longer holds
 * the worker's change stops the round: gates and review would judge a tree without it.
 */
export async function reconcileHead(
  ctx: FlowContext,
  round: number,
  stage: HeadStage,
  mustContain?: string,
): Promise<void> {
  const known = getKnownHead(ctx.events, round);
  const current = await getHead(ctx.paths.root);
  if (known === undefined || current === known) return;
  if (mustContain !== undefined && !(await isAncestor(ctx.paths.root, mustContain, current))) {
    throw new StateError(
      `HEAD (${current.slice(0, 7)}) no longer contains round ${round}'s checkpoint ${mustContain.slice(0, 7)}: the worker's change is gone from the tree, so it cannot be tested or reviewed. Bring it back ("git merge ${mustContain.slice(0, 7)}", or "git reset --hard ${mustContain.slice(0, 7)}" after saving your work), then: bosun review --resume ${ctx.runId}`,
    );
  }
  const commits = await listCommits(ctx.paths.root, known, current);
  await ctx.record({ type: "head.moved", round, from: known, to: current, commits, stage });
}

function isWorkerEnd(
  event: RunEvent,
): event is Extract<
  RunEvent,
  { type: "dispatch.completed" | "dispatch.failed" | "dispatch.cancelled" }
> {
  return isDispatchEnd(event) && event.role === "worker";
}

function isDispatchEnd(
  event: RunEvent,
): event is Extract<
  RunEvent,
  { type: "dispatch.completed" | "dispatch.failed" | "dispatch.cancelled" }
> {
  return (
    event.type === "dispatch.completed" ||
    event.type === "dispatch.failed" ||
    event.type === "dispatch.cancelled"
  );
}
