/**
 * git, the source of truth: HEAD, dirty checks, checkpoints, diffs. bosun measures what an agent
 * changed here instead of trusting the agent's word.
 */
import { randomBytes } from "node:crypto";
import { appendFile, copyFile, mkdir, readFile, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { BosunError, UsageError, isNodeError } from "../errors.js";
import { LineSplitter } from "../proc/line-splitter.js";
import { runQuickCommand, type QuickCommand } from "../proc/shell-runner.js";
import { getMainCheckout, readCheckoutRoots, type CheckoutRoots } from "./repo-root.js";

/** Identity used for checkpoint commits when the repository has none configured. */
const FALLBACK_IDENTITY = ["-c", "user.name=bosun", "-c", "user.email=bosun@localhost"];

/** The most git output bosun holds in memory from one command (a big repository's full listing). */
export const GIT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Runs git and returns stdout as text lines joined with "\n"; throws a BosunError with git's
 * stderr on failure. Lines lose a trailing "\r" and the output its final newline: use
 * `runGitExact` or `runGitBuffer` where content matters (file contents, `-z` output).
 */
export async function runGit(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  const result = await runGitUnchecked(cwd, args, env);
  if (result.exitCode !== 0) throw createGitError(cwd, args, result);
  return result.stdout;
}

/** How `runGitBuffer` and `runGitExact` run git. */
export interface GitCaptureOptions {
  /** Env overrides (e.g. `GIT_INDEX_FILE`). */
  env?: Readonly<Record<string, string>>;
  /** More stdout than this is an error, never a silently cut result. */
  maxBytes?: number;
  /** Exit codes that are answers rather than failures (`merge-tree` exits 1 on conflicts). */
  exitCodes?: readonly number[];
}

/** Stdout byte for byte and the exit code, from `runGitBuffer`. */
export interface GitCapture {
  /** Exactly what git wrote: CR, NUL and the final newline kept. */
  stdout: Buffer;
  /** One of the accepted exit codes. */
  exitCode: number;
}

/**
 * Runs git and returns its exact stdout and exit code; throws a BosunError when git exits with a
 * code not in `exitCodes` (default: only 0) or writes more than `maxBytes`.
 */
export async function runGitBuffer(
  cwd: string,
  args: readonly string[],
  options: GitCaptureOptions = {},
): Promise<GitCapture> {
  const maxBytes = options.maxBytes ?? GIT_MAX_OUTPUT_BYTES;
  const result = await runQuickCommand({ ...createGitCommand(cwd, args, options.env), maxBytes });
  const { exitCode } = result;
  if (!(options.exitCodes ?? [0]).includes(exitCode)) throw createGitError(cwd, args, result);
  if (result.isTruncated) {
    throw new BosunError(
      `git ${args.join(" ")} in ${cwd} wrote more than ${maxBytes} bytes, more than bosun reads at once. Make the repository or the change smaller.`,
    );
  }
  return { stdout: result.stdout, exitCode };
}

/** Runs git and returns its stdout as exact UTF-8 text (CR and final newline kept); exit 0 only. */
export async function runGitExact(
  cwd: string,
  args: readonly string[],
  options: Omit<GitCaptureOptions, "exitCodes"> = {},
): Promise<string> {
  return (await runGitBuffer(cwd, args, options)).stdout.toString("utf8");
}

/** Splits NUL-terminated fields (git's `-z` output) into strings; the final terminator is optional. */
export function splitNulFields(text: string): string[] {
  if (text === "") return [];
  const fields = text.split("\0");
  if (fields[fields.length - 1] === "") fields.pop();
  return fields;
}

/** How a git call ended: its exit status, its stdout as `runGit` frames it, stderr's tail. */
export interface GitResult {
  /** Exit status. */
  exitCode: number;
  /** Stdout as lines joined by "\n": no final newline, no CR before a newline. */
  stdout: string;
  /** The last few KB of stderr. */
  stderrTail: string;
}

/** Runs git and returns its result whatever the exit code (stdout as `runGit` frames it). */
export async function runGitUnchecked(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<GitResult> {
  const result = await runQuickCommand(createGitCommand(cwd, args, env));
  const lines = new LineSplitter();
  const stdout = [...lines.push(result.stdout), ...lines.end()].join("\n");
  return { exitCode: result.exitCode, stdout, stderrTail: result.stderrTail };
}

/**
 * git through the shell runner (proc/shell-runner.ts), not a spawn of its own: a team task makes
 * a dozen and more git calls, and each spawn would hold bosun's thread while it forks bosun.
 */
function createGitCommand(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): QuickCommand {
  return {
    command: "git",
    args: ["-c", "core.quotepath=false", ...args],
    cwd,
    // Never let git open an editor or a pager, or ask for credentials on a terminal.
    env: { GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", GIT_PAGER: "cat", LC_ALL: "C", ...env },
  };
}

function createGitError(
  cwd: string,
  args: readonly string[],
  result: { exitCode: number | null; stderrTail: string },
): BosunError {
  return new BosunError(
    `git ${args.join(" ")} failed in ${cwd}: ${result.stderrTail.trim() || `exit ${String(result.exitCode)}`}`,
  );
}

/** The repository's top-level directory; a UsageError outside a repository. */
export async function getRepoRoot(cwd: string): Promise<string> {
  try {
    return (await runGit(cwd, ["rev-parse", "--show-toplevel"])).trim();
  } catch (error) {
    throw new UsageError(
      `${cwd} is not inside a git repository. Run "git init" first, or pass --root.`,
      { cause: error },
    );
  }
}

export type { CheckoutRoots } from "./repo-root.js";

/**
 * Finds the working tree holding `cwd` and the main checkout of its repository (where bosun keeps
 * `.bosun/`, shared by every worktree); a UsageError outside a repository. Read from the files
 * when they settle it (see repo-root.ts), else from git.
 */
export async function getCheckoutRoots(cwd: string): Promise<CheckoutRoots> {
  return readCheckoutRoots(cwd) ?? getCheckoutRootsFromGit(cwd);
}

/** `getCheckoutRoots` as git answers it (a spawn): for what the files alone do not settle. */
export async function getCheckoutRootsFromGit(cwd: string): Promise<CheckoutRoots> {
  let lines: string[];
  try {
    // --path-format=absolute (git 2.31): --git-common-dir is relative to the cwd otherwise.
    const out = await runGit(cwd, [
      "rev-parse",
      "--path-format=absolute",
      "--show-toplevel",
      "--git-dir",
      "--git-common-dir",
    ]);
    lines = out.split("\n");
  } catch (error) {
    throw new UsageError(
      `${cwd} is not inside a git repository. Run "git init" first, or pass --root.`,
      { cause: error },
    );
  }
  const [workTree = "", gitDir = "", commonDir = ""] = lines;
  return { workTree, mainCheckout: getMainCheckout(workTree, gitDir, commonDir) };
}

/** The current HEAD commit; a UsageError when the repository has no commits yet. */
export async function getHead(cwd: string): Promise<string> {
  try {
    return (await runGit(cwd, ["rev-parse", "--verify", "HEAD"])).trim();
  } catch (error) {
    throw createNoCommitError(cwd, error);
  }
}

function createNoCommitError(cwd: string, cause: unknown): UsageError {
  return new UsageError(
    `The repository at ${cwd} has no commits yet. Make a first commit, then run bosun.`,
    { cause },
  );
}

/** A working tree's HEAD and its uncommitted paths, from one `git status`. */
export interface WorktreeStatus {
  /** The HEAD commit. */
  head: string;
  /** Paths with uncommitted changes, tracked or untracked, as `listDirtyFiles` gives them. */
  dirty: string[];
  /** git's output as it was, for telling two looks at the tree apart. */
  raw: string;
}

/**
 * HEAD and the uncommitted paths of the working tree at `cwd` in one git call (`status
 * --porcelain=v2 --branch`): the pair bosun checks before and after every step, so one process
 * instead of two. `--no-optional-locks`: looking never rewrites the index, so a look at the
 * user's own checkout cannot collide with a git command they run at that moment.
 */
export async function readWorktreeStatus(cwd: string): Promise<WorktreeStatus> {
  const { head, dirty, raw } = await readStatus(cwd);
  if (head === undefined) throw createNoCommitError(cwd, new Error("HEAD is unborn"));
  return { head, dirty, raw };
}

async function readStatus(
  cwd: string,
): Promise<Partial<WorktreeStatus> & Omit<WorktreeStatus, "head">> {
  const raw = await runGitExact(cwd, [
    "--no-optional-locks",
    "status",
    "--porcelain=v2",
    "--branch",
    "-z",
    "--untracked-files=all",
  ]);
  const fields = splitNulFields(raw);
  let head = "";
  const files: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? "";
    if (entry.startsWith("# branch.oid ")) head = entry.slice("# branch.oid ".length);
    else if (entry.startsWith("1 ")) files.push(getNthField(entry, 8));
    else if (entry.startsWith("2 ")) {
      // A rename or copy: its source path follows. A renamed-away path is gone (dirty); a copy's
      // source is unchanged.
      files.push(getNthField(entry, 9));
      i++;
      if (entry.split(" ", 9)[8]?.startsWith("R") === true) files.push(fields[i] ?? "");
    } else if (entry.startsWith("u ")) files.push(getNthField(entry, 10));
    else if (entry.startsWith("? ")) files.push(entry.slice(2));
  }
  const dirty = files.filter((file) => !isBosunPath(file));
  // "(initial)" on a branch with no commit yet.
  return /^[0-9a-f]{40,64}$/.test(head) ? { head, dirty, raw } : { dirty, raw };
}

/** The rest of a status entry after its first `count` space-separated fields (a path may hold spaces). */
function getNthField(entry: string, count: number): string {
  let at = 0;
  for (let n = 0; n < count; n++) {
    at = entry.indexOf(" ", at) + 1;
    if (at === 0) return "";
  }
  return entry.slice(at);
}

function isBosunPath(file: string): boolean {
  return file === "" || file === ".bosun" || file.startsWith(".bosun/");
}

/**
 * Paths with uncommitted changes (tracked or untracked), `.bosun/` excluded. A rename lists both
 * its new and its old path (both differ from HEAD). Read with `-z`: names are exact, never quoted.
 */
export async function listDirtyFiles(cwd: string): Promise<string[]> {
  return (await readStatus(cwd)).dirty;
}

/**
 * Where git keeps `name` for the checkout at `cwd`, as an absolute path: a linked worktree's own
 * git directory for most names, the shared one for `info/`, `hooks/`, `refs/`, ….
 */
export async function resolveGitPath(cwd: string, name: string): Promise<string> {
  return path.resolve(cwd, (await runGit(cwd, ["rev-parse", "--git-path", name])).trim());
}

/** Adds `.bosun/` to the repository's local exclude file so bosun's state is never committed. */
export async function excludeBosunDir(cwd: string): Promise<void> {
  const excludeFile = await resolveGitPath(cwd, "info/exclude");
  let text = "";
  try {
    text = await readFile(excludeFile, "utf8");
  } catch (error) {
    if (!(isNodeError(error) && error.code === "ENOENT")) throw error;
  }
  if (text.split("\n").some((line) => line.trim() === ".bosun/" || line.trim() === ".bosun"))
    return;
  await mkdir(path.dirname(excludeFile), { recursive: true });
  await appendFile(excludeFile, `${text === "" || text.endsWith("\n") ? "" : "\n"}.bosun/\n`);
}

/**
 * Stages everything (`git add -A`) and commits it; returns the new commit, or null when there
 * was nothing to commit. Skips hooks: bosun's checkpoints are bookkeeping, not the user's commits.
 */
export async function commitAll(cwd: string, message: string): Promise<string | null> {
  return (await commitChanges(cwd, message))?.commit ?? null;
}

/** A commit `commitChanges` made. */
export interface CommitMade {
  /** The new commit. */
  commit: string;
  /** Its parent: HEAD before it. */
  parent: string;
  /** The files it changed, as `listChangedFiles(parent, commit)` lists them. */
  files: string[];
}

/** What the caller saw of the tree just before, when nothing can have changed it since. */
export interface KnownTree {
  /** HEAD. */
  head: string;
  /** The uncommitted paths, as `readWorktreeStatus` lists them. */
  dirty: readonly string[];
}

/**
 * `commitAll` that also says what it committed on top of what, in four git calls: the staged list
 * is the commit's change (index against HEAD is what the commit records, a rename as both its
 * paths), and the new HEAD and its parent come back from one rev-list. Given what the caller just
 * saw (`known`, a `readWorktreeStatus` taken since the last writer stopped) and it found nothing
 * uncommitted, none at all.
 */
export async function commitChanges(
  cwd: string,
  message: string,
  known?: KnownTree,
): Promise<CommitMade | null> {
  if (known?.dirty.length === 0) return null;
  await runGit(cwd, ["add", "-A"]);
  const files = splitNulFields(
    await runGitExact(cwd, ["diff", "--cached", "--name-only", "-z", "--no-renames"]),
  );
  if (files.length === 0) return null;
  await runGit(cwd, [
    ...(await readIdentityArgs(cwd)),
    "commit",
    "--no-verify",
    // bosun's own commits must never stop for a signing prompt (commit.gpgSign).
    "--no-gpg-sign",
    "-q",
    "-m",
    message,
  ]);
  // "<commit> <parent>" (no parent for a root commit).
  const [commit = "", parent = ""] = (
    await runGit(cwd, ["rev-list", "--parents", "--max-count=1", "HEAD"])
  )
    .trim()
    .split(" ");
  return { commit, parent, files };
}

/** Files changed between two commits; a rename is both of its paths, as for a checkpoint. */
export async function listChangedFiles(cwd: string, from: string, to: string): Promise<string[]> {
  if (from === to) return [];
  // -z: names exactly as stored (a quote, a tab or a newline in one would come back quoted).
  return splitNulFields(
    await runGitExact(cwd, ["diff", "--name-only", "-z", "--no-renames", from, to]),
  );
}

/** The unified diff between two commits, cut at `maxBytes` with a note saying so. */
export async function getDiff(
  cwd: string,
  from: string,
  to: string,
  maxBytes = 200_000,
): Promise<string> {
  if (from === to) return "";
  const out = await runGit(cwd, ["diff", "--no-color", "--stat", "--patch", from, to]);
  if (out.length <= maxBytes) return out;
  return `${out.slice(0, maxBytes)}\n[diff cut at ${maxBytes} bytes; run "git diff ${from} ${to}" for all of it]\n`;
}

/**
 * Writes what the working tree at `cwd` holds now — tracked files as they are on disk, plus
 * untracked files that .gitignore does not cover — as a tree object, and returns its id. Goes
 * through a throwaway copy of the index, so the real index, HEAD and the files stay untouched;
 * starting from the copy keeps git's stat cache (only changed files are hashed) and keeps
 * sparse-checkout and force-added entries as the index has them.
 */
export async function writeWorkingTree(cwd: string): Promise<string> {
  const name = `bosun-tree-${process.pid}-${randomBytes(4).toString("hex")}.index`;
  const [indexFile = "", tempIndex = ""] = (
    await runGit(cwd, ["rev-parse", "--git-path", "index", "--git-path", name])
  )
    .split("\n")
    .map((line) => path.resolve(cwd, line));
  const env = { GIT_INDEX_FILE: tempIndex };
  try {
    try {
      // The copy keeps the index's time: git hashes again the files changed within the same
      // second as the index was written ("racily clean"), judged by that time; a newer copy
      // would trust their stat data and miss a same-size edit made in that second. Read before
      // the copy: an index rewritten in between then only makes the copy look older, the safe side.
      const { atime, mtime } = await stat(indexFile);
      await copyFile(indexFile, tempIndex);
      await utimes(tempIndex, atime, mtime);
    } catch (error) {
      if (!(isNodeError(error) && error.code === "ENOENT")) throw error;
      // No index yet (no commit, or a checkout without one): the tree is what is on disk.
      await runGit(cwd, ["read-tree", "--empty"], env);
    }
    await runGit(cwd, ["add", "-A"], env);
    return (await runGit(cwd, ["write-tree"], env)).trim();
  } finally {
    await rm(tempIndex, { force: true });
  }
}

/**
 * The `-c user.name=… -c user.email=…` arguments bosun's own commits need when the repository
 * has no identity configured (git would refuse to commit), or none when it has one.
 */
export function readIdentityArgs(cwd: string): Promise<string[]> {
  // Worktrees share their repository's config: the answer for one holds for all of them.
  const key = readCheckoutRoots(cwd)?.mainCheckout ?? cwd;
  let args = identityArgsByDir.get(key);
  if (args === undefined) {
    args = runGitUnchecked(cwd, ["config", "user.email"]).then(
      (result) => {
        // 0: set; 1: unset. Anything else (git could not read its config) is no answer: not
        // kept, and the fallback identity is used this once.
        if (result.exitCode !== 0 && result.exitCode !== 1) identityArgsByDir.delete(key);
        return result.exitCode === 0 && result.stdout.trim() !== "" ? [] : [...FALLBACK_IDENTITY];
      },
      () => {
        identityArgsByDir.delete(key);
        return [...FALLBACK_IDENTITY];
      },
    );
    identityArgsByDir.set(key, args);
  }
  return args;
}

/**
 * Asked once per repository per process (by its main checkout): a run commits in many worktrees
 * of one repository, and the fallback only fills in an identity git would otherwise refuse to
 * commit without. (A worktree with its own config, extensions.worktreeConfig, shares the answer.)
 */
const identityArgsByDir = new Map<string, Promise<string[]>>();

/**
 * Full object ids for revisions (`main`, `abc123^{tree}`, …), in order, in one git call; a
 * UsageError naming them when any does not resolve.
 */
export async function resolveRevisions(
  cwd: string,
  revisions: readonly string[],
): Promise<string[]> {
  for (const revision of revisions) {
    if (revision.startsWith("-"))
      throw new UsageError(`"${revision}" is not a revision; pass an object id or a ref.`);
  }
  // The trailing "--" makes git take every argument as a revision, never as a path.
  const result = await runGitUnchecked(cwd, ["rev-parse", ...revisions, "--"]);
  const ids = result.stdout.split("\n").filter((line) => line !== "" && line !== "--");
  if (result.exitCode !== 0 || ids.length !== revisions.length)
    throw new UsageError(
      `Cannot resolve ${revisions.join(", ")} in ${cwd}: ${result.stderrTail.trim() || "not found"}. Pass commits that exist there.`,
    );
  return ids;
}

/** The commit a ref points at, or null when the ref does not exist. */
export async function readRef(cwd: string, ref: string): Promise<string | null> {
  const result = await runGitUnchecked(cwd, [
    "rev-parse",
    "--verify",
    "--quiet",
    `${ref}^{commit}`,
  ]);
  if (result.exitCode === 0) return result.stdout.trim();
  if (result.exitCode === 1) return null;
  throw createGitError(cwd, ["rev-parse", "--verify", "--quiet", ref], result);
}

/** The commits in from..to, newest first, as `<short sha> <subject>` (at most `max`). */
export async function listCommits(
  cwd: string,
  from: string,
  to: string,
  max = 20,
): Promise<string[]> {
  const out = await runGit(cwd, ["log", `--max-count=${max}`, "--format=%h %s", `${from}..${to}`]);
  return out.split("\n").filter((line) => line !== "");
}

/** How many commits from..to holds. */
export async function countCommits(cwd: string, from: string, to: string): Promise<number> {
  return Number((await runGit(cwd, ["rev-list", "--count", `${from}..${to}`])).trim());
}

/** True when `ancestor` is in the history of `commit` (or is it). */
export async function isAncestor(cwd: string, ancestor: string, commit: string): Promise<boolean> {
  const result = await runGitUnchecked(cwd, ["merge-base", "--is-ancestor", ancestor, commit]);
  if (result.exitCode === 0 || result.exitCode === 1) return result.exitCode === 0;
  throw new BosunError(
    `git merge-base --is-ancestor failed in ${cwd}: ${result.stderrTail.trim() || `exit ${String(result.exitCode)}`}`,
  );
}

/**
 * Saves the working tree as it is — HEAD plus every uncommitted change and untracked file that
 * .gitignore does not cover — as a commit under `ref`, without touching HEAD, the index or the
 * files. Taken before bosun discards anything, so what it discards can always be brought back.
 */
export async function snapshotWorkingTree(
  cwd: string,
  ref: string,
  message: string,
): Promise<string> {
  const head = await getHead(cwd);
  const tree = await writeWorkingTree(cwd);
  const commit = (
    await runGit(cwd, [
      ...(await readIdentityArgs(cwd)),
      "commit-tree",
      "--no-gpg-sign",
      tree,
      "-p",
      head,
      "-m",
      message,
    ])
  ).trim();
  await runGit(cwd, ["update-ref", ref, commit]);
  return commit;
}
