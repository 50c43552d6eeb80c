/**
 * Whose commits are whose. A round measures its worker's change with git, from the HEAD the
 * worker started on; commits that land while none of the round's agents runs — a human fixing
 * something between a failure and `--resume`, say — are never the worker's. For each round
 * bosun knows the HEAD it last saw or left (round start, the end of each worker attempt, the
 * checkpoint), and before every step that measures or judges the tree it compares: a HEAD that
 * moved since is journaled as `head.moved`, and the round goes on from there.
 *
 * Where bosun was killed while an agent (or its own checkpoint) was at work, it cannot tell that
 * agent's changes from anyone else's: they are taken as the agent's — a worker is credited with
 * them, a reviewer's are discarded (saved first) — and the user is told so.
 */
import { StateError, UsageError } from "../errors.js";
import type { Role, RunEvent } from "../store/schema/events.js";
import {
  countCommits,
  getHead,
  isAncestor,
  listChangedFiles,
  listCommits,
  listDirtyFiles,
  runGit,
  snapshotWorkingTree,
} from "../workspace/git.js";
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

/** True when bosun began round `round`'s checkpoint commit but never recorded it (it was killed). */
export function hasOpenCheckpoint(events: readonly RunEvent[], round: number): boolean {
  let isOpen = false;
  for (const event of events) {
    if (event.type === "checkpoint.started" && event.round === round) isOpen = true;
    if (event.type === "checkpoint.created" && event.round === round) isOpen = false;
  }
  return isOpen;
}

/**
 * Journals `head.moved` when HEAD is not where bosun left it in `round`: the commits in between
 * were made outside the run. Stops the round where going on would be wrong: at the gates, on a
 * HEAD that no longer holds the worker's `checkpoint`, or on uncommitted changes bosun did not
 * make (unless `isDirtyExpected`: a verify run killed with bosun left its leftovers); before the
 * checkpoint, on outside commits on top of commits the worker already made this round.
 */
export async function reconcileHead(
  ctx: FlowContext,
  round: number,
  stage: HeadStage,
  options: { checkpoint?: string; isDirtyExpected?: boolean } = {},
): Promise<void> {
  const { root } = ctx.paths;
  const known = getKnownHead(ctx.events, round);
  if (known === undefined) return;
  const current = await getHead(root);
  // bosun's own checkpoint commit, made just before it was killed, is no outsider's.
  if (stage !== "gates" && hasOpenCheckpoint(ctx.events, round)) return;
  if (stage !== "gates" && hasOpenDispatch(ctx.events, round, "worker")) {
    if (current !== known) {
      const commits = await listCommits(root, known, current);
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        message: `bosun was stopped while round ${round}'s worker was at work; the commit(s) made since (${commits.slice(0, 3).join("; ")}) cannot be told apart from the worker's and count as its change.`,
      });
    }
    return;
  }
  if (stage === "gates" && options.isDirtyExpected !== true) {
    const dirty = await listDirtyFiles(root);
    if (dirty.length > 0)
      throw new UsageError(
        `The working tree has uncommitted changes bosun did not make (${formatFiles(dirty)}); bosun will neither test them as the worker's nor throw them away. Commit them (they are kept, and not counted as the worker's) or stash them, then: bosun review --resume ${ctx.runId}`,
      );
  }
  if (current === known) return;
  const { checkpoint } = options;
  if (checkpoint !== undefined && !(await isAncestor(root, checkpoint, current))) {
    throw new StateError(
      `HEAD (${current.slice(0, 7)}) no longer contains round ${round}'s checkpoint ${checkpoint.slice(0, 7)}: the worker's change is gone from the tree, so it cannot be tested or reviewed. Bring it back ("git merge ${checkpoint.slice(0, 7)}", or "git reset --hard ${checkpoint.slice(0, 7)}" after saving your work), then: bosun review --resume ${ctx.runId}`,
    );
  }
  const commits = await listCommits(root, known, current);
  const base = getRoundBase(ctx.events, round);
  if (stage !== "gates" && base !== undefined && base !== known) {
    // One diff cannot hold the worker's commits and leave out the ones on top of them.
    throw new StateError(
      `Round ${round}'s worker made commits (${base.slice(0, 7)}..${known.slice(0, 7)}) and commit(s) were made on top of them since bosun stopped (${commits.slice(0, 3).join("; ")}); the worker's change cannot be measured apart from them. Move yours to a branch ("git branch mine && git reset --hard ${known.slice(0, 7)}"), then: bosun review --resume ${ctx.runId}`,
    );
  }
  const count = await countCommits(root, known, current);
  await ctx.record({ type: "head.moved", round, from: known, to: current, commits, count, stage });
}

/**
 * Puts the tree back to where bosun left it in `round` (the worker's checkpoint, or where HEAD
 * moved outside the run since), discarding what `who` changed since: commits, edits and new
 * files that .gitignore does not cover. Used after the verify command (its leftovers are not
 * the worker's change) and after each reviewer attempt (a reviewer must not change the tree).
 * What it discards is saved first under refs/bosun/discarded/, so nothing is lost for good.
 */
export async function discardChangesSince(
  ctx: FlowContext,
  round: number,
  who: string,
  advice: string,
): Promise<void> {
  const { root } = ctx.paths;
  const known = getKnownHead(ctx.events, round);
  if (known === undefined) return;
  const head = await getHead(root);
  const committed = head === known ? [] : await listChangedFiles(root, known, head);
  const changed = [...new Set([...committed, ...(await listDirtyFiles(root))])];
  if (changed.length === 0 && head === known) return;
  // Named after the round, who and the journal's length, so a later discard never overwrites it.
  const whoName = who.toLowerCase().replace(/^the /, "").split(" ")[0] ?? "agent";
  const ref = `refs/bosun/discarded/${ctx.runId}/${ctx.taskId}/r${round}-${whoName}-${ctx.events.length}`;
  await snapshotWorkingTree(
    root,
    ref,
    `bosun: what ${who.toLowerCase()} changed in round ${round}`,
  );
  await runGit(root, ["reset", "-q", "--hard", known]);
  await runGit(root, ["clean", "-q", "-fd"]);
  ctx.emit({
    type: "warning",
    runId: ctx.runId,
    message: `${who} changed ${changed.length} file(s) (${formatFiles(changed)}); bosun discarded those changes (saved as ${ref}: git diff ${known.slice(0, 7)} ${ref}).${advice}`,
  });
}

function formatFiles(files: readonly string[]): string {
  return `${files.slice(0, 5).join(", ")}${files.length > 5 ? ", …" : ""}`;
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
