/**
 * Early conflict checks between running tasks: what each worktree holds right now (uncommitted
 * work included), which paths two changes both touch, and which of those truly conflict. Read-only
 * for every worktree: only objects are written.
 */
import { runGitExact, splitNulFields, writeWorkingTree } from "./git.js";
import { runMergeTree } from "./merge-tree.js";

/**
 * The id of a tree holding the worktree's current content: HEAD plus uncommitted changes and
 * untracked files .gitignore does not cover. Built through a throwaway index (`GIT_INDEX_FILE`),
 * so the worktree's own index, HEAD and files are untouched while its agent keeps working.
 */
export function snapshotTree(worktreeDir: string): Promise<string> {
  return writeWorkingTree(worktreeDir);
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
