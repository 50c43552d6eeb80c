/**
 * The merge queue: deterministic, no model in it. Accepted tasks merge one at a time, first come
 * first served, into the run's integration branch: `git merge-tree` builds the merge, `update-ref`
 * moves the branch only from the head the merge was built on (compare-and-swap), and nothing is
 * ever checked out in anyone's worktree. What is merged is the commit the journal recorded as
 * accepted, never a branch's tip: a stale worker's later commit cannot land. After each merge the
 * project's tests run on the integration branch; a merge that turns a green baseline red is
 * reverted and the task goes back with the failure. A conflict sends it back to resolve.
 */
import { StateError } from "../../errors.js";
import { getTaskState } from "../../store/run-index.js";
import type { PlanTask } from "../../store/schema/plan.js";
import { isAncestor, readRef, runGit } from "../../workspace/git.js";
import { mergeBranch, revertMerge } from "../../workspace/merge.js";
import { runVerifyCommand } from "../verify.js";
import { createSerializer } from "./serialize.js";
import type { TeamContext } from "./team-context.js";

/** How a task's merge ended. */
export type MergeOutcome =
  | { kind: "merged"; commit: string }
  | { kind: "conflicted"; files: string[] }
  | { kind: "reverted"; reason: string };

/** Serializes merges: one at a time, in the order they were asked for. */
export function createMergeQueue(
  team: TeamContext,
): (task: PlanTask, commit: string) => Promise<MergeOutcome> {
  const inTurn = createSerializer();
  return (task, commit) => inTurn(() => mergeTask(team, task, commit));
}

/** Merges (or finishes merging, after a crash) one task's accepted commit. */
async function mergeTask(team: TeamContext, task: PlanTask, commit: string): Promise<MergeOutcome> {
  const { ctx } = team;
  const state = getTaskState(ctx.state, task.id);
  // Journaled as merged, and bosun died before marking the task so: that merge stands. Merging
  // again would find nothing new and record the same merge a second time.
  if (state?.merged !== undefined) return { kind: "merged", commit: state.merged.commit };
  // A merge journaled as started and never done is judged against the branch as git has it.
  const open = state?.openMerge;
  let expectedOld =
    open === undefined ? await team.integrationHead.get() : await team.integrationHead.refresh();
  // A merge journaled as started and never as done: bosun died mid-merge. It landed when the
  // accepted commit is in the integration branch; then only its test and record are left.
  if (
    open !== undefined &&
    open.source === commit &&
    (await isAncestor(team.mainRoot, commit, expectedOld))
  )
    return checkMerged(
      team,
      task,
      await findMergeCommit(team, open.expectedOld, commit, expectedOld),
      open.expectedOld,
    );
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (attempt > 0) expectedOld = await team.integrationHead.refresh();
    await ctx.record({ type: "merge.started", taskId: task.id, source: commit, expectedOld });
    const oldTree = team.integrationHead.getTree(expectedOld);
    const result = await mergeBranch(team.mainRoot, {
      target: team.integrationRef,
      source: commit,
      expectedOld,
      ...(oldTree === undefined ? {} : { expectedOldTree: oldTree }),
      message: `bosun: merge task ${task.id} (${task.title})`,
    });
    if (result.kind === "merged") {
      team.integrationHead.set(result.commit, result.tree);
      return checkMerged(team, task, result.commit, expectedOld);
    }
    if (result.kind === "conflicted") {
      await ctx.record({ type: "merge.conflicted", taskId: task.id, files: result.files });
      return { kind: "conflicted", files: result.files };
    }
    // Stale: the branch moved under us (only a human can do that: merges are serialized); retry.
  }
  throw new StateError(
    `The integration branch ${team.integrationRef} keeps moving while bosun merges task ${task.id}; stop whatever else updates it, then: ${team.resumeCommand}`,
  );
}

/** Tests the merged integration head; records the merge, or reverts it when it broke green tests. */
async function checkMerged(
  team: TeamContext,
  task: PlanTask,
  mergeCommit: string,
  previous: string,
): Promise<MergeOutcome> {
  const { ctx } = team;
  if (team.options.verify !== "" && ctx.state.baseline?.passed === true) {
    // Checked out only to be tested: without a test there is nothing to do in that tree.
    await checkoutIntegration(team, mergeCommit);
    const logFile = ctx.paths.taskFile(ctx.runId, task.id, "merge-verify.log");
    const outcome = await runVerifyCommand(
      ctx,
      {
        cwd: team.integrationDir,
        taskId: task.id,
        timeoutSec: team.options.timeoutSec,
        resumeCommand: team.resumeCommand,
        isVerifyFixed: true,
      },
      team.options.verify,
      logFile,
    );
    if (!outcome.passed) {
      const reverted = await revertMerge(team.mainRoot, {
        target: team.integrationRef,
        mergeCommit,
        expectedOld: mergeCommit,
        message: `bosun: revert task ${task.id}: it turned the tests red`,
      });
      if (reverted.kind !== "reverted")
        throw new StateError(
          `Could not revert the merge of task ${task.id} (${mergeCommit.slice(0, 7)}) after it turned the tests red (${reverted.kind}); see ${logFile}.`,
        );
      team.integrationHead.set(reverted.commit);
      await checkoutIntegration(team, reverted.commit);
      const reason = outcome.fixItems[0]?.reason ?? outcome.detail;
      await ctx.record({
        type: "merge.reverted",
        taskId: task.id,
        commit: mergeCommit,
        restored: reverted.commit,
        reason,
      });
      return { kind: "reverted", reason };
    }
  }
  await ctx.record({ type: "merge.completed", taskId: task.id, commit: mergeCommit, previous });
  return { kind: "merged", commit: mergeCommit };
}

/**
 * The merge commit that brought `source` onto the integration branch after `expectedOld`: on the
 * first-parent line, the commit with `source` as a parent (other merges may sit on top of it).
 */
async function findMergeCommit(
  team: TeamContext,
  expectedOld: string,
  source: string,
  head: string,
): Promise<string> {
  const lines = await runGit(team.mainRoot, [
    "rev-list",
    "--first-parent",
    "--parents",
    `${expectedOld}..${head}`,
  ]);
  for (const line of lines.split("\n")) {
    const [commit, ...parents] = line.split(" ");
    if (commit !== undefined && commit !== "" && parents.includes(source)) return commit;
  }
  return head;
}

/** The integration branch's head (it exists from the run's start). */
export async function readIntegrationHead(team: TeamContext): Promise<string> {
  const head = await readRef(team.mainRoot, team.integrationRef);
  if (head === null)
    throw new StateError(
      `The integration branch ${team.integrationRef} of run ${team.ctx.runId} is gone; it holds every merged task. Restore it (git reflog), then: ${team.resumeCommand}`,
    );
  return head;
}

/** Points the integration worktree (bosun's own, detached) at `commit`. */
export async function checkoutIntegration(team: TeamContext, commit: string): Promise<void> {
  await runGit(team.integrationDir, ["checkout", "-q", "--detach", "--force", commit]);
  await runGit(team.integrationDir, ["clean", "-q", "-fd"]);
}
