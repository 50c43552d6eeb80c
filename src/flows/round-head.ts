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
import { getRoundState, type RoundState } from "../store/run-index.js";
import type { Seat } from "../store/schema/events.js";
import {
  countCommits,
  getHead,
  isAncestor,
  listChangedFiles,
  listCommits,
  readWorktreeStatus,
  runGit,
  snapshotWorkingTree,
} from "../workspace/git.js";
import type { RoundScope, RunContext } from "./flow-context.js";

/** Where in a round a move of HEAD is checked for. */
export type HeadStage = "worker" | "checkpoint" | "gates";

/** The round's indexed state (undefined before it started). */
export function getScopeRound(ctx: RunContext, scope: RoundScope): RoundState | undefined {
  return getRoundState(ctx.state, scope.taskId, scope.round, scope.phase);
}

/** True when `seat` started an attempt in the round that never recorded an end (bosun was killed). */
export function hasOpenDispatch(ctx: RunContext, scope: RoundScope, seat: Seat): boolean {
  return (getScopeRound(ctx, scope)?.openDispatches.get(seat) ?? 0) > 0;
}

/**
 * Journals `head.moved` when HEAD is not where bosun left it in the round: the commits in between
 * were made outside the run. Stops the round where going on would be wrong: at the gates, on a
 * HEAD that no longer holds the worker's `checkpoint`, or on uncommitted changes bosun did not
 * make (unless `isDirtyExpected`: a verify run killed with bosun left its leftovers); before the
 * checkpoint, on outside commits on top of commits the worker already made this round.
 */
export async function reconcileHead(
  ctx: RunContext,
  scope: RoundScope,
  stage: HeadStage,
  options: { checkpoint?: string; isDirtyExpected?: boolean } = {},
): Promise<void> {
  const { cwd, round } = scope;
  const state = getScopeRound(ctx, scope);
  if (state === undefined || ctx.isGitless === true) return;
  const known = state.knownHead;
  // At the gates the uncommitted paths matter too: one git call for both (none when bosun's last
  // step just looked, or made this state: tree-look.ts).
  const status = stage === "gates" ? await lookAtTree(ctx, cwd) : undefined;
  const current = status?.head ?? ctx.looks?.getFresh(cwd)?.head ?? (await getHead(cwd));
  // bosun's own checkpoint commit, made just before it was killed, is no outsider's.
  if (stage !== "gates" && state.isCheckpointOpen) return;
  if (stage !== "gates" && hasOpenDispatch(ctx, scope, "worker")) {
    if (current !== known) {
      const commits = await listCommits(cwd, known, current);
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        taskId: scope.taskId,
        message: `bosun was stopped while round ${round}'s worker was at work; the commit(s) made since (${commits.slice(0, 3).join("; ")}) cannot be told apart from the worker's and count as its change.`,
      });
    }
    return;
  }
  if (status !== undefined && options.isDirtyExpected !== true) {
    const { dirty } = status;
    if (dirty.length > 0)
      throw new UsageError(
        `The working tree has uncommitted changes bosun did not make (${formatFiles(dirty)}); bosun will neither test them as the worker's nor throw them away. Commit them (they are kept, and not counted as the worker's) or stash them, then: ${scope.resumeCommand}`,
      );
  }
  if (current === known) return;
  const { checkpoint } = options;
  if (checkpoint !== undefined && !(await isAncestor(cwd, checkpoint, current))) {
    throw new StateError(
      `HEAD (${current.slice(0, 7)}) no longer contains round ${round}'s checkpoint ${checkpoint.slice(0, 7)}: the worker's change is gone from the tree, so it cannot be tested or reviewed. Bring it back ("git merge ${checkpoint.slice(0, 7)}", or "git reset --hard ${checkpoint.slice(0, 7)}" after saving your work), then: ${scope.resumeCommand}`,
    );
  }
  const commits = await listCommits(cwd, known, current);
  if (stage !== "gates" && state.base !== known) {
    // One diff cannot hold the worker's commits and leave out the ones on top of them.
    throw new StateError(
      `Round ${round}'s worker made commits (${state.base.slice(0, 7)}..${known.slice(0, 7)}) and commit(s) were made on top of them since bosun stopped (${commits.slice(0, 3).join("; ")}); the worker's change cannot be measured apart from them. Move yours to a branch ("git branch mine && git reset --hard ${known.slice(0, 7)}"), then: ${scope.resumeCommand}`,
    );
  }
  const count = await countCommits(cwd, known, current);
  await ctx.record({
    type: "head.moved",
    taskId: scope.taskId,
    ...(scope.phase === undefined ? {} : { phase: scope.phase }),
    round,
    from: known,
    to: current,
    commits,
    count,
    stage,
  });
}

/**
 * Puts the tree back to where bosun left it in the round (the worker's checkpoint, or where HEAD
 * moved outside the run since), discarding what `who` changed since: commits, edits and new
 * files that .gitignore does not cover. Used after the verify command (its leftovers are not
 * the worker's change) and after each reviewer attempt (a reviewer must not change the tree).
 * What it discards is saved first under refs/bosun/discarded/, so nothing is lost for good.
 */
export async function discardChangesSince(
  ctx: RunContext,
  scope: RoundScope,
  who: string,
  advice: string,
): Promise<void> {
  const { cwd, round } = scope;
  const known = getScopeRound(ctx, scope)?.knownHead;
  if (known === undefined || ctx.isGitless === true) return;
  const { head, dirty } = await lookAtTree(ctx, cwd);
  const committed = head === known ? [] : await listChangedFiles(cwd, known, head);
  const changed = [...new Set([...committed, ...dirty])];
  if (changed.length === 0 && head === known) {
    ctx.looks?.note(cwd, { head, dirty: [] });
    return;
  }
  // Named after the round, who and the journal's length, so a later discard never overwrites it.
  const whoName = who.toLowerCase().replace(/^the /, "").split(" ")[0] ?? "agent";
  const ref = `refs/bosun/discarded/${ctx.runId}/${scope.taskId}/r${round}-${whoName}-${ctx.state.eventCount}`;
  await snapshotWorkingTree(cwd, ref, `bosun: what ${who.toLowerCase()} changed in round ${round}`);
  await runGit(cwd, ["reset", "-q", "--hard", known]);
  await runGit(cwd, ["clean", "-q", "-fd"]);
  ctx.looks?.noteClean(cwd, known);
  ctx.emit({
    type: "warning",
    runId: ctx.runId,
    taskId: scope.taskId,
    message: `${who} changed ${changed.length} file(s) (${formatFiles(changed)}); bosun discarded those changes (saved as ${ref}: git diff ${known.slice(0, 7)} ${ref}).${advice}`,
  });
}

/**
 * HEAD and the uncommitted paths of `cwd`: bosun's fresh look when its last step took one (or made
 * this state), else one `git status`, kept as the new look.
 */
export async function lookAtTree(
  ctx: RunContext,
  cwd: string,
): Promise<{ head: string; dirty: readonly string[] }> {
  if (ctx.isGitless === true) return { head: "", dirty: [] };
  const look = ctx.looks?.getFresh(cwd);
  if (look?.dirty !== undefined) return { head: look.head, dirty: look.dirty };
  const { head, dirty } = await readWorktreeStatus(cwd);
  ctx.looks?.note(cwd, { head, dirty });
  return { head, dirty };
}

/** HEAD of `cwd` ("" without git). */
export async function readHead(ctx: RunContext, cwd: string): Promise<string> {
  return ctx.isGitless === true ? "" : getHead(cwd);
}

function formatFiles(files: readonly string[]): string {
  return `${files.slice(0, 5).join(", ")}${files.length > 5 ? ", …" : ""}`;
}
