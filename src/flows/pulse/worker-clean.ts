/**
 * Cleaning up after pulse workers: an ended worker's worktree is removed, and its branch deleted
 * once its change is in the target branch. The same rules as `bosun clean RUN`, because cleaning
 * is where work gets lost: only a worker that has ended is touched, "merged" is judged by content
 * (the change is in the target's tree, however it got there), uncommitted work is saved to a ref
 * first, and unmerged work needs `isForced` (even then its branch is kept). worker.json stays.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors.js";
import type { BosunPaths } from "../../store/paths.js";
import { PULSE_ASK_RUN_ID } from "../../store/schema/asks.js";
import { readWorkerFile, readWorkerFiles } from "../../store/pulse-workers.js";
import { ENDED_WORKER_STATUSES, type WorkerFile } from "../../store/schema/pulse-worker.js";
import { readRef, runGitUnchecked } from "../../workspace/git.js";
import { isChangeMerged } from "../../workspace/merge-tree.js";
import { removeWorktree } from "../../workspace/worktree.js";
import { getWorkerBranch } from "./workers.js";

/** What cleaning did for one worker. */
export interface CleanedWorker {
  /** The worker. */
  workerId: string;
  /** removed; absent (already gone); refused (see reason); none (it worked without one). */
  worktree: "removed" | "absent" | "refused" | "none";
  /** Where its uncommitted work was saved, if it had any. */
  snapshotRef?: string;
  /** True when its branch was deleted (its change is in the target). */
  isBranchDeleted: boolean;
  /** Why the worktree or the branch was kept. */
  reason?: string;
}

/** What to clean and against what. */
export interface CleanWorkersOptions {
  /** The workers by id; undefined: every ended worker that has a worktree. */
  ids?: readonly string[];
  /** Where the work belongs (a branch or commit); default: what the main checkout has out. */
  into?: string;
  /** Remove a worktree whose work is not in the target yet (its branch and a snapshot kept). */
  isForced: boolean;
}

/** Cleans ended workers' worktrees and merged branches; a running one is refused, never touched. */
export async function cleanWorkers(
  paths: BosunPaths,
  options: CleanWorkersOptions,
): Promise<{ target: string; workers: CleanedWorker[] }> {
  const repo = path.dirname(paths.bosunDir);
  const target = await resolveTarget(repo, options.into ?? "HEAD");
  const workers =
    options.ids === undefined
      ? await listLeftovers(repo, await readWorkerFiles(paths))
      : await Promise.all(options.ids.map((id) => readNamedWorker(paths, id)));
  const cleaned: CleanedWorker[] = [];
  // One at a time: each removal runs git in the one repository.
  for (const listed of workers) {
    // Read again right before its turn: a worker started again since the list was read works
    // in the same worktree now, and must not lose it.
    const worker = (await readWorkerFile(paths, listed.id)) ?? listed;
    cleaned.push(
      worker.startedAt === listed.startedAt
        ? await cleanWorker(repo, worker, target, options)
        : refuse(worker.id, `worker ${worker.id} was started again while bosun cleaned`),
    );
  }
  return { target, workers: cleaned };
}

/**
 * The ended workers something is left of: a worktree or a branch. One cleaned before (both gone)
 * is not listed again on every later clean.
 */
async function listLeftovers(repo: string, workers: readonly WorkerFile[]): Promise<WorkerFile[]> {
  const left: WorkerFile[] = [];
  for (const worker of workers) {
    const { worktree } = worker;
    if (!ENDED_WORKER_STATUSES.has(worker.status) || worktree === undefined) continue;
    if (
      existsSync(worktree.path) ||
      (await readRef(repo, `refs/heads/${worktree.branch}`)) !== null
    )
      left.push(worker);
  }
  return left;
}

async function readNamedWorker(paths: BosunPaths, id: string): Promise<WorkerFile> {
  const worker = await readWorkerFile(paths, id);
  if (worker === null)
    throw new UsageError(`No worker ${id} (see "bosun _ worker list" for the workers there are).`);
  return worker;
}

/** The target as a commit; a name git does not know is the caller's mistake. */
async function resolveTarget(repo: string, into: string): Promise<string> {
  const result = await runGitUnchecked(repo, ["rev-parse", "--verify", "-q", `${into}^{commit}`]);
  if (result.exitCode !== 0)
    throw new UsageError(
      `${JSON.stringify(into)} is not a branch or commit here (--into names where the workers' work belongs).`,
    );
  return result.stdout.trim();
}

async function cleanWorker(
  repo: string,
  worker: WorkerFile,
  target: string,
  options: CleanWorkersOptions,
): Promise<CleanedWorker> {
  const workerId = worker.id;
  if (!ENDED_WORKER_STATUSES.has(worker.status))
    return refuse(
      workerId,
      `worker ${workerId} has not ended (${worker.status}); stop it first with "bosun _ worker kill ${workerId}"`,
    );
  const { worktree } = worker;
  if (worktree === undefined) return { workerId, worktree: "none", isBranchDeleted: false };
  // bosun only ever gives a worker its own branch; a worker.json naming another (edited by hand)
  // must not make bosun delete someone's branch.
  if (worktree.branch !== getWorkerBranch(workerId))
    return refuse(
      workerId,
      `worker ${workerId}'s worker.json names branch ${worktree.branch}, not ${getWorkerBranch(workerId)}; bosun cleans only a worker's own branch and worktree`,
    );
  // Its worktree likewise: one edited to point at another worker's or a run's worktree must not
  // make bosun remove that (forced, even unmerged). Its folder is `…/pulse/<id>` wherever the
  // worktrees live (BOSUN_HOME may have moved since).
  if (!isOwnWorktreePath(worktree.path, workerId))
    return refuse(
      workerId,
      `worker ${workerId}'s worker.json names worktree ${worktree.path}, not its own ${path.join(PULSE_ASK_RUN_ID, workerId)} folder; bosun cleans only a worker's own branch and worktree`,
    );
  const branchRef = `refs/heads/${worktree.branch}`;
  const tip = await readRef(repo, branchRef);
  // The change is what the branch added since it left the target's line.
  const base = tip === null ? target : await findMergeBase(repo, target, tip);
  const removed = await removeWorktree(repo, worktree.path, {
    base,
    target,
    isForced: options.isForced,
  });
  if (removed.kind === "refused")
    return { workerId, worktree: "refused", isBranchDeleted: false, reason: removed.reason };
  const snapshotRef = removed.kind === "removed" ? removed.snapshotRef : null;
  const snapshot = snapshotRef === null ? {} : { snapshotRef };
  if (tip === null)
    return { workerId, worktree: removed.kind, ...snapshot, isBranchDeleted: false };
  if (!(await isChangeMerged(repo, { base, branch: tip, target })))
    return {
      workerId,
      worktree: removed.kind,
      ...snapshot,
      isBranchDeleted: false,
      reason: `its branch ${worktree.branch} is kept: its change is not in ${target.slice(0, 7)}`,
    };
  // Only another branch, tag or remote branch holding the target keeps the work once this branch
  // goes: `--into` the worker's own branch, or a main checkout detached at its tip, holds nothing.
  const holder = await readRefHolding(repo, target, branchRef);
  if (holder === undefined)
    return {
      workerId,
      worktree: removed.kind,
      ...snapshot,
      isBranchDeleted: false,
      reason: `its branch ${worktree.branch} is kept: no other branch or tag holds ${target.slice(0, 7)}, so its work would be in no branch`,
    };
  // git refuses to delete a branch some checkout has out (someone looks at it): it stays then.
  const deleted = await runGitUnchecked(repo, ["branch", "-q", "-D", worktree.branch]);
  return deleted.exitCode === 0
    ? { workerId, worktree: removed.kind, ...snapshot, isBranchDeleted: true }
    : {
        workerId,
        worktree: removed.kind,
        ...snapshot,
        isBranchDeleted: false,
        reason: `its branch ${worktree.branch} is kept: ${deleted.stderrTail.trim() || "git would not delete it"}`,
      };
}

/** Whether `dir` is where bosun puts worker `workerId`'s worktree: `<worktrees>/pulse/<id>`. */
function isOwnWorktreePath(dir: string, workerId: string): boolean {
  const resolved = path.resolve(dir);
  return (
    path.basename(resolved) === workerId &&
    path.basename(path.dirname(resolved)) === PULSE_ASK_RUN_ID
  );
}

function refuse(workerId: string, reason: string): CleanedWorker {
  return { workerId, worktree: "refused", isBranchDeleted: false, reason };
}

async function findMergeBase(repo: string, target: string, tip: string): Promise<string> {
  const result = await runGitUnchecked(repo, ["merge-base", target, tip]);
  // Unrelated histories: the whole branch is the change.
  return result.exitCode === 0 ? result.stdout.trim() : target;
}

/** A branch, tag or remote branch other than `branchRef` whose history holds `target`. */
async function readRefHolding(
  repo: string,
  target: string,
  branchRef: string,
): Promise<string | undefined> {
  const result = await runGitUnchecked(repo, [
    "for-each-ref",
    "--contains",
    target,
    "--format=%(refname)",
    "refs/heads",
    "refs/tags",
    "refs/remotes",
  ]);
  if (result.exitCode !== 0) return undefined;
  return result.stdout.split("\n").find((ref) => ref !== "" && ref !== branchRef);
}
