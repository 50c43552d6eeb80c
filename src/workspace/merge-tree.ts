/**
 * Three-way merges in git's object store only (`git merge-tree --write-tree`): no working tree,
 * no index, no ref moves. The one merge primitive behind merging, revert and conflict checks, and
 * the content test for "is this change already in there".
 */
import { UsageError } from "../errors.js";
import { runGit, runGitBuffer, splitNulFields } from "./git.js";

/** The outcome of a three-way merge of two trees. */
export type TreeMerge =
  | {
      /** Merged cleanly. */
      kind: "clean";
      /** The merged tree's id. */
      tree: string;
    }
  | {
      /** At least one path could not be merged. */
      kind: "conflicted";
      /** The tree with conflict markers written in (never to be committed). */
      tree: string;
      /** Every conflicted path, once each, sorted. */
      files: string[];
      /** git's own messages, one per line ("CONFLICT (content): Merge conflict in a.txt"). */
      detail: string;
    };

/** What to merge. Any commit-ish; with `base`, trees too. */
export interface MergeTreeInput {
  /** The side the result is built on (the target). */
  ours: string;
  /** The side merged in. */
  theirs: string;
  /**
   * The merge base to use instead of the one git computes from history. Needed to judge a change
   * by content (a reverted change is still in the history) and to merge trees that have none.
   */
  base?: string;
}

/**
 * Fixed identity and dates for the stand-in commits of an explicit-base merge: the same trees
 * always give the same commit ids, so repeated checks add no new objects.
 */
const STAND_IN_ENV = {
  GIT_AUTHOR_NAME: "bosun",
  GIT_AUTHOR_EMAIL: "bosun@localhost",
  GIT_AUTHOR_DATE: "@0 +0000",
  GIT_COMMITTER_NAME: "bosun",
  GIT_COMMITTER_EMAIL: "bosun@localhost",
  GIT_COMMITTER_DATE: "@0 +0000",
};

/** Three-way merges `ours` and `theirs` in the object store of `repo`; writes only objects. */
export async function runMergeTree(repo: string, input: MergeTreeInput): Promise<TreeMerge> {
  for (const name of [input.ours, input.theirs, input.base]) {
    if (name?.startsWith("-") === true)
      throw new UsageError(`"${name}" is not a commit or tree name; pass an object id or a ref.`);
  }
  const [ours, theirs] =
    input.base === undefined
      ? [input.ours, input.theirs]
      : await createStandIns(repo, input.base, input.ours, input.theirs);
  const { stdout, exitCode } = await runGitBuffer(
    repo,
    ["merge-tree", "--write-tree", "-z", "--name-only", ours, theirs],
    { exitCodes: [0, 1] },
  );
  return parseMergeTreeOutput(stdout.toString("utf8"), exitCode === 1);
}

/**
 * Parses `git merge-tree --write-tree -z --name-only` output: the tree id, then (on conflicts)
 * each conflicted path, an empty field, and the messages as
 * `<path count> <path>… <conflict type> <message>`, every field NUL-terminated.
 */
export function parseMergeTreeOutput(text: string, isConflicted: boolean): TreeMerge {
  const fields = splitNulFields(text);
  const tree = fields[0] ?? "";
  if (!isConflicted) return { kind: "clean", tree };
  const files = new Set<string>();
  let i = 1;
  for (; i < fields.length && fields[i] !== ""; i++) files.add(fields[i] ?? "");
  const messages: string[] = [];
  for (i++; i < fields.length;) {
    const pathCount = Number(fields[i]);
    if (!Number.isInteger(pathCount) || pathCount < 0) break;
    const message = fields[i + pathCount + 2];
    if (message === undefined) break;
    messages.push(message.trim());
    i += pathCount + 3;
  }
  // "Auto-merging x" lines are noise next to the CONFLICT lines that explain the failure.
  const conflicts = messages.filter((message) => message.startsWith("CONFLICT"));
  return {
    kind: "conflicted",
    tree,
    files: [...files].sort(),
    detail: (conflicts.length > 0 ? conflicts : messages).join("\n"),
  };
}

/**
 * Git 2.38/2.39 `merge-tree --write-tree` has no `--merge-base` (added in 2.40) and takes commits
 * only. So each tree gets a stand-in commit: base as a root, ours and theirs as its children,
 * whose one merge base is then exactly `base`. Deterministic ids (see STAND_IN_ENV).
 */
async function createStandIns(
  repo: string,
  base: string,
  ours: string,
  theirs: string,
): Promise<[string, string]> {
  const commitTree = async (tree: string, parent?: string): Promise<string> =>
    (
      await runGit(
        repo,
        [
          "commit-tree",
          "--no-gpg-sign",
          `${tree}^{tree}`,
          ...(parent === undefined ? [] : ["-p", parent]),
          "-m",
          "bosun merge input",
        ],
        STAND_IN_ENV,
      )
    ).trim();
  const baseCommit = await commitTree(base);
  return Promise.all([commitTree(ours, baseCommit), commitTree(theirs, baseCommit)]);
}

/** Where `isChangeMerged` looks. */
export interface ChangeMergedQuery {
  /** Where the change starts (the task's fork point). */
  base: string;
  /** Where it ends: a branch, commit, or a tree such as a worktree snapshot. */
  branch: string;
  /** Where it should be: the integration branch. */
  target: string;
}

/**
 * True when the change base..branch is already in `target`, judged by content, not history: the
 * three-way merge of `branch` into `target` with `base` as the merge base is clean and leaves
 * target's tree exactly as it is. So a squash, a cherry-pick or a real merge counts; a change
 * whose commits are in the history but was reverted does not; an empty change always counts.
 * When target changed the same lines again after taking the change, the merge conflicts and the
 * answer is false: "not proven merged", the safe side for deciding what may be deleted.
 */
export async function isChangeMerged(repo: string, query: ChangeMergedQuery): Promise<boolean> {
  const [merge, targetTree] = await Promise.all([
    runMergeTree(repo, { base: query.base, ours: query.target, theirs: query.branch }),
    runGit(repo, ["rev-parse", "--verify", `${query.target}^{tree}`]),
  ]);
  return merge.kind === "clean" && merge.tree === targetTree.trim();
}
