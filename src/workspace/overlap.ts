/**
 * Early conflict checks between running tasks: what each worktree holds right now (uncommitted
 * work included), which paths two changes both touch, and which of those truly conflict. Read-only
 * for every worktree: only objects are written.
 */
import { lstat } from "node:fs/promises";
import path from "node:path";
import { readWorktreeStatus, runGitExact, splitNulFields, writeWorkingTree } from "./git.js";
import { runMergeTree } from "./merge-tree.js";

/**
 * The id of a tree holding the worktree's current content: HEAD plus uncommitted changes and
 * untracked files .gitignore does not cover. Built through a throwaway index (`GIT_INDEX_FILE`),
 * so the worktree's own index, HEAD and files are untouched while its agent keeps working.
 */
export function snapshotTree(worktreeDir: string): Promise<string> {
  return writeWorkingTree(worktreeDir);
}

/** The last snapshot of each checkout `snapshotTreeIfChanged` took, with what it looked like then. */
const lastSnapshots = new Map<string, { look: string; tree: string }>();

/**
 * `snapshotTree`, but one git call when the checkout looks as it did at its last snapshot: the
 * same `git status` (HEAD, and every changed path with its staged content) and the same size,
 * times and inode for each changed path (git's own test for a tracked file; here also for the
 * changed ones, whose later edits status cannot see). The user's checkout is looked at before
 * and after every worker round of a team run; it rarely changes, and a snapshot is three calls.
 */
export async function snapshotTreeIfChanged(checkoutDir: string): Promise<string> {
  const look = await lookAtCheckout(checkoutDir);
  const last = lastSnapshots.get(checkoutDir);
  if (last?.look === look) return last.tree;
  const tree = await snapshotTree(checkoutDir);
  // Taken after the look: a change in between shows in the next look and forces a new snapshot.
  lastSnapshots.set(checkoutDir, { look, tree });
  return tree;
}

async function lookAtCheckout(checkoutDir: string): Promise<string> {
  const status = await readWorktreeStatus(checkoutDir);
  const stats = await Promise.all(
    status.dirty.map(async (file) => {
      try {
        const stat = await lstat(path.join(checkoutDir, file), { bigint: true });
        // A directory here is a nested repository or a submodule: its stat does not change
        // when its HEAD does, so such a checkout never looks the same twice.
        if (stat.isDirectory()) return `dir:${Math.random()}`;
        return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${stat.mode}`;
      } catch {
        // Deleted: status says so, and a file that comes back changes its stat.
        return "-";
      }
    }),
  );
  return `${status.raw}\0${stats.join("\0")}`;
}

/**
 * Every path a task's worktree has changed since `base` (its fork point), committed or not,
 * untracked files included, sorted: one git call while its HEAD is still `base`, two after. What
 * the scheduler and the early conflict check compare before they pay for a three-way merge.
 */
export async function listWorktreeChanges(worktreeDir: string, base: string): Promise<string[]> {
  const { head, dirty } = await readWorktreeStatus(worktreeDir);
  const committed = head === base ? [] : await listChangedPaths(worktreeDir, base, head);
  return [...new Set([...committed, ...dirty])].sort();
}

/**
 * True when two sets of changed paths can conflict: a path in both, or one side's path a
 * directory of the other's (a file `a` against a file `a/b`). Disjoint changes always merge
 * cleanly, so only touching ones need `findConflicts`.
 */
export function canChangesConflict(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const withParents = (files: readonly string[]): Set<string> => {
    const all = new Set<string>();
    for (const file of files)
      for (let at = file.length; at > 0; at = file.lastIndexOf("/", at - 1))
        all.add(file.slice(0, at));
    return all;
  };
  const inA = withParents(a);
  const inB = withParents(b);
  return b.some((file) => inA.has(file)) || a.some((file) => inB.has(file));
}

/** Two changes from a common base, as commits or trees (e.g. from `snapshotTree`). */
export interface ConflictQuery {
  /** Where both changes start (the integration tip both tasks were cut from). */
  base: string;
  /** One side's content. */
  a: string;
  /** The other side's content. */
  b: string;
}

/**
 * The paths where changes base..a and base..b conflict (sorted; empty when they merge cleanly),
 * by a three-way merge in the object store with `base` as the merge base. Two tasks touching
 * different lines of one file do not conflict; use `listChangedPaths` for scope overlap.
 */
export async function findConflicts(repo: string, query: ConflictQuery): Promise<string[]> {
  const merge = await runMergeTree(repo, { base: query.base, ours: query.a, theirs: query.b });
  return merge.kind === "conflicted" ? merge.files : [];
}

/**
 * Every path that differs between `from` and `to` (commits or trees), sorted. A rename lists both
 * its old and its new path: for overlap, a task that moves a file touches both.
 */
export async function listChangedPaths(repo: string, from: string, to: string): Promise<string[]> {
  const out = await runGitExact(repo, [
    "diff",
    "--name-only",
    "-z",
    "--no-renames",
    from,
    to,
    "--",
  ]);
  return splitNulFields(out).sort();
}

/** The paths both lists hold, sorted: the two changes' overlap in scope. */
export function getSharedPaths(a: readonly string[], b: readonly string[]): string[] {
  const inA = new Set(a);
  return [...new Set(b.filter((file) => inA.has(file)))].sort();
}
