/**
 * The deterministic merge of a team run: a task's branch into the run's integration branch, with
 * no model and no working tree involved — merge-tree, commit-tree, then a compare-and-swap of the
 * ref. Also its undo.
 */
import { StateError, UsageError } from "../errors.js";
import {
  isAncestor,
  readIdentityArgs,
  readRef,
  resolveRevisions,
  runGit,
  runGitUnchecked,
} from "./git.js";
import { runMergeTree } from "./merge-tree.js";
import { readWorktreeBranches, type WorktreeBranch } from "./worktree.js";

/** A commit's author, when it is not the repository's configured identity. */
export interface CommitAuthor {
  /** Author name. */
  name: string;
  /** Author e-mail. */
  email: string;
}

/** What `mergeBranch` merges, into what, and from which state. */
export interface MergeBranchOptions {
  /** The full ref to advance, e.g. `refs/heads/bosun/<run>`. */
  target: string;
  /** What to merge: a task's branch, or the exact commit that was approved. */
  source: string;
  /** The commit `target` must point at now; if it moved, nothing is written (`stale`). */
  expectedOld: string;
  /**
   * `expectedOld`'s tree, when the caller knows it (it made that commit): with it, and `source`
   * and `expectedOld` given as full object ids, nothing needs resolving first (one git call less).
   */
  expectedOldTree?: string;
  /** The merge commit's message. */
  message: string;
  /** The merge commit's author; the committer is always the repository's identity (or bosun). */
  author?: CommitAuthor;
  /**
   * A merge base to use instead of the one history gives, e.g. the task's fork point when its
   * earlier merge was undone by a revert commit (history alone would bring back nothing).
   */
  mergeBase?: string;
}

/** The outcome of `mergeBranch`. */
export type MergeResult =
  | {
      /** `target` now points at `commit`. */
      kind: "merged";
      /** The new merge commit (first parent: the old target; second: the source). */
      commit: string;
      /** Its tree. */
      tree: string;
      /** True when the source was already in the target's history: nothing was written. */
      isAlreadyMerged: boolean;
    }
  | {
      /** The merge has conflicts; nothing was written. */
      kind: "conflicted";
      /** The conflicted paths, sorted. */
      files: string[];
      /** git's CONFLICT messages, one per line. */
      detail: string;
    }
  | {
      /** `target` is not at `expectedOld` (another merge won the race); nothing was written. */
      kind: "stale";
      /** Where `target` points now, null when it no longer exists. */
      actual: string | null;
    };

/**
 * Merges `source` into `target` without checking anything out: `git merge-tree --write-tree`
 * builds the tree, `git commit-tree` a merge commit with both parents (always a merge commit,
 * never a fast-forward, so every task lands as one commit that can be undone alone), and
 * `git update-ref <target> <new> <expectedOld>` moves the ref only if nobody moved it meanwhile.
 * Refuses a target that is checked out in a worktree: moving it there would leave that checkout's
 * files looking like an undo of the merge, which a later `commit -a` would make real.
 */
export async function mergeBranch(repo: string, options: MergeBranchOptions): Promise<MergeResult> {
  assertFullRef(options.target);
  // Independent reads in parallel. Where the target points is not read up front: the
  // compare-and-swap below refuses a moved target anyway, and answers that only ask git again.
  const [[source = "", old = "", oldTree = ""], worktrees, identityArgs] = await Promise.all([
    resolveMergeInputs(repo, options),
    readWorktreeBranches(repo),
    readIdentityArgs(repo),
  ]);
  assertNotCheckedOut(worktrees, options.target);
  const merge = await runMergeTree(repo, {
    ours: old,
    theirs: source,
    ...(options.mergeBase === undefined ? {} : { base: options.mergeBase }),
  });
  // A conflict or "already there" is an answer about `old`: only worth giving if it is the target.
  const isStillAt = async (): Promise<{ kind: "stale"; actual: string | null } | undefined> => {
    const actual = await readRef(repo, options.target);
    return actual === old ? undefined : { kind: "stale", actual };
  };
  if (merge.kind === "conflicted")
    return (await isStillAt()) ?? { kind: "conflicted", files: merge.files, detail: merge.detail };
  // Asked again after a crash that came right after the ref moved: no second, empty merge commit.
  if (merge.tree === oldTree && (await isAncestor(repo, source, old)))
    return (
      (await isStillAt()) ?? { kind: "merged", commit: old, tree: oldTree, isAlreadyMerged: true }
    );
  const authorEnv: Record<string, string> =
    options.author === undefined
      ? {}
      : { GIT_AUTHOR_NAME: options.author.name, GIT_AUTHOR_EMAIL: options.author.email };
  const commit = (
    await runGit(
      repo,
      [
        ...identityArgs,
        "commit-tree",
        "--no-gpg-sign",
        merge.tree,
        "-p",
        old,
        "-p",
        source,
        "-m",
        options.message,
      ],
      authorEnv,
    )
  ).trim();
  const moved = await updateRefIfAt(repo, options.target, commit, old, `bosun: merge ${source}`);
  if (moved !== true) return { kind: "stale", actual: moved };
  return { kind: "merged", commit, tree: merge.tree, isAlreadyMerged: false };
}

/** The source commit, the expected old commit and its tree, as full object ids. */
function resolveMergeInputs(repo: string, options: MergeBranchOptions): Promise<string[]> {
  const { source, expectedOld, expectedOldTree } = options;
  if (expectedOldTree !== undefined && isObjectId(source) && isObjectId(expectedOld))
    return Promise.resolve([source, expectedOld, expectedOldTree]);
  return resolveRevisions(repo, [
    `${source}^{commit}`,
    `${expectedOld}^{commit}`,
    `${expectedOld}^{tree}`,
  ]);
}

function isObjectId(revision: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(revision);
}

/** What `revertMerge` undoes. */
export interface RevertMergeOptions {
  /** The full ref the merge went into, e.g. `refs/heads/bosun/<run>`. */
  target: string;
  /** The merge commit `mergeBranch` made. */
  mergeCommit: string;
  /** The commit `target` must point at now; if it moved, nothing is written (`stale`). */
  expectedOld: string;
  /** The revert commit's message, when one is needed. */
  message?: string;
}

/** The outcome of `revertMerge`. */
export type RevertResult =
  | {
      /** `target` no longer holds the merge's change. */
      kind: "reverted";
      /** Where `target` points now. */
      commit: string;
      /** `reset`: the ref moved back to the merge's first parent; `revert-commit`: a new commit undoes it. */
      method: "reset" | "revert-commit";
      /** A ref that keeps the merge commit reachable after a reset (null for a revert commit). */
      keptRef: string | null;
    }
  | {
      /** Undoing the merge conflicts with what was merged after it; nothing was written. */
      kind: "conflicted";
      /** The conflicted paths, sorted. */
      files: string[];
      /** git's CONFLICT messages, one per line. */
      detail: string;
    }
  | {
      /** `target` is not at `expectedOld`; nothing was written. */
      kind: "stale";
      /** Where `target` points now, null when it no longer exists. */
      actual: string | null;
    };

/**
 * Undoes a merge into `target`. When the merge is still the tip, the ref moves back to its first
 * parent by compare-and-swap, and `refs/bosun/reverted/<target>/<merge>` keeps the merge commit
 * (and so the task's work) reachable: the history stays as if the merge never happened, so the
 * task's branch can simply be merged again once fixed. When later merges sit on top, they are
 * kept and a revert commit undoes only this merge's change (computed with merge-tree, base = the
 * merge commit); re-merging that task then needs `mergeBase` (its fork point), because history
 * says its commits are already in.
 */
export async function revertMerge(
  repo: string,
  options: RevertMergeOptions,
): Promise<RevertResult> {
  assertFullRef(options.target);
  const [actual, [old = "", merge = "", parent = ""], worktrees] = await Promise.all([
    readRef(repo, options.target),
    resolveRevisions(repo, [
      `${options.expectedOld}^{commit}`,
      `${options.mergeCommit}^{commit}`,
      `${options.mergeCommit}^1`,
    ]),
    readWorktreeBranches(repo),
  ]);
  if (actual !== old) return { kind: "stale", actual };
  if (!(await isAncestor(repo, merge, old)))
    throw new StateError(
      `${merge.slice(0, 7)} is not in the history of ${options.target} (at ${old.slice(0, 7)}), so there is no merge to undo there. Pass the merge commit that mergeBranch returned for this target.`,
    );
  assertNotCheckedOut(worktrees, options.target);
  if (merge === old) {
    const keptRef = `refs/bosun/reverted/${options.target.replace(/^refs\/heads\//, "")}/${merge}`;
    // Kept before the target moves: at no instant is the merged work reachable from neither.
    await runGit(repo, ["update-ref", keptRef, merge]);
    const moved = await updateRefIfAt(repo, options.target, parent, old, `bosun: undo ${merge}`);
    if (moved !== true) return { kind: "stale", actual: moved };
    return { kind: "reverted", commit: parent, method: "reset", keptRef };
  }
  const undo = await runMergeTree(repo, { base: merge, ours: old, theirs: parent });
  if (undo.kind === "conflicted")
    return { kind: "conflicted", files: undo.files, detail: undo.detail };
  const commit = (
    await runGit(repo, [
      ...(await readIdentityArgs(repo)),
      "commit-tree",
      "--no-gpg-sign",
      undo.tree,
      "-p",
      old,
      "-m",
      options.message ?? `Revert merge ${merge}`,
    ])
  ).trim();
  const moved = await updateRefIfAt(repo, options.target, commit, old, `bosun: revert ${merge}`);
  if (moved !== true) return { kind: "stale", actual: moved };
  return { kind: "reverted", commit, method: "revert-commit", keptRef: null };
}

/**
 * Moves `ref` from `old` to `next` only if it still points at `old` (`git update-ref` with an
 * old value). True when moved; otherwise where the ref points now.
 */
async function updateRefIfAt(
  repo: string,
  ref: string,
  next: string,
  old: string,
  reason: string,
): Promise<true | string | null> {
  const result = await runGitUnchecked(repo, ["update-ref", "-m", reason, ref, next, old]);
  if (result.exitCode === 0) return true;
  const actual = await readRef(repo, ref);
  if (actual !== old) return actual;
  throw new StateError(
    `Could not move ${ref} from ${old.slice(0, 7)} to ${next.slice(0, 7)} in ${repo}: ${result.stderrTail.trim()}. Fix what git reports (a stale lock file?), then retry.`,
  );
}

function assertFullRef(ref: string): void {
  if (!ref.startsWith("refs/"))
    throw new UsageError(
      `"${ref}" is not a full ref name; pass one such as refs/heads/bosun/<run>.`,
    );
}

function assertNotCheckedOut(worktrees: readonly WorktreeBranch[], ref: string): void {
  const holder = worktrees.find((worktree) => worktree.branch === ref && !worktree.isPrunable);
  if (holder !== undefined)
    throw new StateError(
      `${ref} is checked out in ${holder.dir}; moving it would make that checkout look like it undoes the change. Switch that worktree to another branch or detach it ("git -C ${holder.dir} switch --detach"), then retry.`,
    );
}
