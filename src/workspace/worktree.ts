/**
 * A team run's task worktrees: create (or re-adopt on resume), list, and remove without losing
 * work — uncommitted work is saved to a ref first, and an unmerged change is never thrown away
 * unless forced. Where worktrees live is the caller's choice.
 */
import { existsSync } from "node:fs";
import { access, lstat, readFile, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { StateError, UsageError, isNodeError } from "../errors.js";
import {
  getHead,
  readRef,
  resolveRevisions,
  runGit,
  runGitExact,
  runGitUnchecked,
  snapshotWorkingTree,
  splitNulFields,
  writeWorkingTree,
} from "./git.js";
import { isChangeMerged } from "./merge-tree.js";

/** One entry of `git worktree list`. */
export interface WorktreeEntry {
  /** Absolute path, as git records it (symlinks resolved). */
  dir: string;
  /** The checked-out commit; null in a bare repository or before the first commit. */
  head: string | null;
  /** The checked-out branch as a full ref (`refs/heads/…`); null when detached or bare. */
  branch: string | null;
  /** True for the main worktree of a bare repository. */
  isBare: boolean;
  /** The reason given to `git worktree lock` (maybe ""); null when not locked. */
  lockedReason: string | null;
  /** True when the directory is gone and git would prune the entry. */
  isPrunable: boolean;
}

/** Every worktree of the repository, the main one first (`git worktree list --porcelain -z`). */
export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const fields = splitNulFields(await runGitExact(repo, ["worktree", "list", "--porcelain", "-z"]));
  const entries: WorktreeEntry[] = [];
  let entry: WorktreeEntry | undefined;
  for (const field of fields) {
    // An empty field ends a record.
    if (field === "") {
      entry = undefined;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      entry = {
        dir: value,
        head: null,
        branch: null,
        isBare: false,
        lockedReason: null,
        isPrunable: false,
      };
      entries.push(entry);
    } else if (entry === undefined) {
      continue;
    } else if (key === "HEAD") entry.head = /^0+$/.test(value) ? null : value;
    else if (key === "branch") entry.branch = value;
    else if (key === "bare") entry.isBare = true;
    else if (key === "locked") entry.lockedReason = value;
    else if (key === "prunable") entry.isPrunable = true;
    // "detached" and keys newer gits add need nothing: branch stays null.
  }
  return entries;
}

/** Which branch a worktree has checked out, for the checks that must not move it under it. */
export type WorktreeBranch = Pick<WorktreeEntry, "dir" | "branch" | "isPrunable">;

/**
 * The branch each worktree of `repo` (its main checkout's top level) has checked out, read from
 * the HEAD files git keeps — `.git/HEAD` and `.git/worktrees/<name>/{HEAD,gitdir,locked}` — so a
 * merge need not spawn `git worktree list` (a spawn costs milliseconds of bosun's one thread).
 * Where the repository is laid out any other way (`.git` a file, a git-dir variable set), only
 * git can say: `listWorktrees` answers then.
 */
export async function readWorktreeBranches(repo: string): Promise<WorktreeBranch[]> {
  const gitDir = path.join(repo, ".git");
  const isPlain =
    process.env["GIT_DIR"] === undefined &&
    process.env["GIT_COMMON_DIR"] === undefined &&
    (await lstat(gitDir).then(
      (stats) => stats.isDirectory(),
      () => false,
    ));
  if (!isPlain) return listWorktrees(repo);
  const main = await readHeadBranch(path.join(gitDir, "HEAD"));
  // A reftable repository keeps HEAD elsewhere and leaves a stub naming refs/heads/.invalid.
  if (main === undefined || main === INVALID_HEAD) return listWorktrees(repo);
  const entries: WorktreeBranch[] = [{ dir: repo, branch: main, isPrunable: false }];
  const adminRoot = path.join(gitDir, "worktrees");
  const names = await readdir(adminRoot).catch((error: unknown) => {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw error;
  });
  for (const name of names) {
    const admin = path.join(adminRoot, name);
    // Half made or half removed (by a concurrent `git worktree add/prune`): git skips it too.
    const [branch, gitFile, isLocked] = await Promise.all([
      readHeadBranch(path.join(admin, "HEAD")),
      readFile(path.join(admin, "gitdir"), "utf8").then(
        (text) => text.trim(),
        () => undefined,
      ),
      access(path.join(admin, "locked")).then(
        () => true,
        () => false,
      ),
    ]);
    if (branch === INVALID_HEAD) return listWorktrees(repo);
    if (branch === undefined || gitFile === undefined) continue;
    // Relative to the admin folder when git writes relative worktree paths (worktree.useRelativePaths).
    const dotGit = path.resolve(admin, gitFile);
    // As git judges it: gone from disk and not locked.
    const isPrunable = !isLocked && !existsSync(dotGit);
    entries.push({ dir: path.dirname(dotGit), branch, isPrunable });
  }
  return entries;
}

/** What a reftable repository's HEAD file says: the real HEAD is in the reftable. */
const INVALID_HEAD = "refs/heads/.invalid";

/** The full ref a HEAD file names, null when detached, undefined when it cannot be read. */
async function readHeadBranch(file: string): Promise<string | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const match = /^ref: (\S+)\s*$/.exec(text);
  return match?.[1] ?? null;
}

/** A task's worktree, as `createWorktree` left it. */
export interface Worktree {
  /** The worktree's directory, as git records it. */
  dir: string;
  /** The full branch ref checked out there. */
  branch: string;
  /** The branch's commit. */
  head: string;
  /** True when the worktree was already there (a resumed run) and was taken over as it is. */
  isAdopted: boolean;
}

/**
 * Gives `branch` (a name such as `bosun/<run>/<task>`, or its full ref) a worktree at `dir`, the
 * branch cut from `base` when it does not exist yet. Idempotent for resume: a worktree already at
 * `dir` on `branch` is adopted as it is (uncommitted work included); a branch left by a create that
 * died half-way is checked out, not re-cut. Anything else at `dir` is a StateError naming it.
 */
export async function createWorktree(
  repo: string,
  dir: string,
  branch: string,
  base: string,
): Promise<Worktree> {
  const shortName = branch.replace(/^refs\/heads\//, "");
  const ref = `refs/heads/${shortName}`;
  if (shortName === "" || shortName.startsWith("-"))
    throw new UsageError(`"${branch}" is not a branch name; pass one such as bosun/<run>/<task>.`);
  const absoluteDir = await resolveDir(dir);
  // The common case, a new task: one git call. Should it fail (the branch exists, a stale
  // registration, a bad base), the full path below finds out why and acts or explains.
  if (!base.startsWith("-") && !existsSync(absoluteDir)) {
    const added = await runGitUnchecked(repo, [
      "worktree",
      "add",
      "--quiet",
      "--no-track",
      "-b",
      shortName,
      absoluteDir,
      `${base}^{commit}`,
    ]);
    if (added.exitCode === 0) {
      const head = /^[0-9a-f]{40}$/.test(base) ? base : await getHead(absoluteDir);
      return { dir: absoluteDir, branch: ref, head, isAdopted: false };
    }
  }
  const [worktrees, branchHead, [baseCommit = ""]] = await Promise.all([
    listWorktrees(repo),
    readRef(repo, ref),
    resolveRevisions(repo, [`${base}^{commit}`]),
  ]);
  const existing = await findWorktree(worktrees, absoluteDir);
  if (existing !== undefined && !existing.isPrunable) {
    if (existing.branch === ref)
      return { dir: existing.dir, branch: ref, head: existing.head ?? "", isAdopted: true };
    throw new StateError(
      `${absoluteDir} is already a worktree of ${repo} on ${existing.branch ?? `a detached HEAD (${existing.head ?? "no commit"})`}, not ${ref}. Remove it ("git worktree remove ${absoluteDir}") or choose another directory.`,
    );
  }
  // A registered worktree whose directory was deleted blocks `worktree add` at the same path.
  if (existing?.isPrunable === true) await runGit(repo, ["worktree", "prune"]);
  if (!(await isEmptyOrMissing(absoluteDir)))
    throw new StateError(
      `${absoluteDir} exists and is not a worktree of ${repo} on ${ref}. Move it away or choose another directory for the task's worktree.`,
    );
  await runGit(
    repo,
    branchHead !== null
      ? ["worktree", "add", "--quiet", absoluteDir, shortName]
      : ["worktree", "add", "--quiet", "--no-track", "-b", shortName, absoluteDir, baseCommit],
  );
  return { dir: absoluteDir, branch: ref, head: branchHead ?? baseCommit, isAdopted: false };
}

/** How `removeWorktree` decides whether the worktree's change is safe to let go. */
export interface RemoveWorktreeOptions {
  /** The task's fork point: its change is base..(branch + uncommitted work). */
  base: string;
  /** Where the change must already be (the integration branch) for removal without force. */
  target: string;
  /** Remove even when the change is not merged or the worktree is locked (work is still saved). */
  isForced?: boolean;
  /** Where to save uncommitted work; default `refs/bosun/snapshots/<branch>/<ms>`. */
  snapshotRef?: string;
}

/** What `removeWorktree` did. */
export type RemoveWorktreeResult =
  | {
      /** The worktree is gone (its branch is kept). */
      kind: "removed";
      /** The ref holding the uncommitted work saved first; null when there was none. */
      snapshotRef: string | null;
    }
  | {
      /** No worktree was registered at that directory: nothing to do. */
      kind: "absent";
    }
  | {
      /** Nothing was touched. */
      kind: "refused";
      /** Why, and what to do. */
      reason: string;
    };

/**
 * Removes the worktree at `dir`, never losing work: refuses (unless `isForced`) when it is locked
 * or when its change — committed and uncommitted — is not in `target` by content (see
 * `isChangeMerged`); otherwise saves uncommitted work (tracked changes and untracked files that
 * .gitignore does not cover) as a commit under `snapshotRef` (forced, a detached HEAD too, so its
 * commits stay in a ref), then removes it. The branch stays.
 * Ignored files (build output, node_modules) are deleted with the directory. The caller must make
 * sure no agent is still writing there (its lease), or the last writes escape the snapshot.
 */
export async function removeWorktree(
  repo: string,
  dir: string,
  options: RemoveWorktreeOptions,
): Promise<RemoveWorktreeResult> {
  const worktrees = await listWorktrees(repo);
  const worktree = await findWorktree(worktrees, await resolveDir(dir));
  if (worktree === undefined) return { kind: "absent" };
  if (worktree === worktrees[0])
    return {
      kind: "refused",
      reason: `${worktree.dir} is the repository's main checkout, not a task worktree; bosun never removes it. Pass the task worktree's directory.`,
    };
  if (worktree.isPrunable) {
    // The directory is gone already; only git's record of it is left.
    await runGit(repo, ["worktree", "prune"]);
    return { kind: "removed", snapshotRef: null };
  }
  const isForced = options.isForced === true;
  if (worktree.lockedReason !== null && !isForced)
    return {
      kind: "refused",
      reason: `${worktree.dir} is locked (${worktree.lockedReason || "no reason given"}); something still holds it. Unlock it ("git worktree unlock ${worktree.dir}") or force the removal.`,
    };
  const isDirty = (await runGitExact(worktree.dir, ["status", "--porcelain", "-z"])) !== "";
  if (!isForced) {
    const content =
      isDirty || worktree.head === null ? await writeWorkingTree(worktree.dir) : worktree.head;
    if (
      !(await isChangeMerged(repo, { base: options.base, branch: content, target: options.target }))
    )
      return {
        kind: "refused",
        reason: `The work in ${worktree.dir} (${worktree.branch ?? "detached HEAD"}${isDirty ? ", with uncommitted changes" : ""}) is not in ${options.target} yet. Merge it first, or force the removal (the branch and a snapshot of uncommitted work are kept).`,
      };
  }
  // Forced, a detached HEAD's commits are in no branch: the snapshot (HEAD its parent) keeps them.
  const isDetachedForced = isForced && worktree.branch === null && worktree.head !== null;
  let snapshotRef: string | null = null;
  if (isDirty || isDetachedForced) {
    snapshotRef = options.snapshotRef ?? createSnapshotRef(worktree);
    await snapshotWorkingTree(
      worktree.dir,
      snapshotRef,
      isDirty
        ? `bosun: uncommitted work in ${worktree.dir} before its removal`
        : `bosun: the detached HEAD of ${worktree.dir} before its removal`,
    );
  }
  // Forced twice over a lock; once over the (already saved) uncommitted work.
  await runGit(repo, [
    "worktree",
    "remove",
    "--force",
    ...(worktree.lockedReason !== null ? ["--force"] : []),
    worktree.dir,
  ]);
  return { kind: "removed", snapshotRef };
}

function createSnapshotRef(worktree: WorktreeEntry): string {
  const name =
    worktree.branch?.replace(/^refs\/heads\//, "") ?? `detached/${path.basename(worktree.dir)}`;
  return `refs/bosun/snapshots/${name}/${Date.now()}`;
}

/** `dir` made absolute with symlinks resolved as far as it exists, as git records worktrees. */
async function resolveDir(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  try {
    return await realpath(absolute);
  } catch (error) {
    if (!(isNodeError(error) && error.code === "ENOENT")) throw error;
    const parent = path.dirname(absolute);
    return parent === absolute
      ? absolute
      : path.join(await resolveDir(parent), path.basename(absolute));
  }
}

/** The entry at `dir` (already resolved), comparing against each entry's resolved path too. */
async function findWorktree(
  worktrees: readonly WorktreeEntry[],
  dir: string,
): Promise<WorktreeEntry | undefined> {
  for (const worktree of worktrees) {
    if (worktree.dir === dir || (await resolveDir(worktree.dir)) === dir) return worktree;
  }
  return undefined;
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return true;
    // ENOTDIR: a file is in the way, which is "not empty" for our purpose.
    if (isNodeError(error) && error.code === "ENOTDIR") return false;
    throw error;
  }
}
