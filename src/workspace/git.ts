/**
 * git, the source of truth: HEAD, dirty checks, checkpoints, diffs. bosun measures what an agent
 * changed here instead of trusting the agent's word.
 */
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { BosunError, UsageError, isNodeError } from "../errors.js";
import { runProcess } from "../proc/run-process.js";

/** Identity used for checkpoint commits when the repository has none configured. */
const FALLBACK_IDENTITY = ["-c", "user.name=bosun", "-c", "user.email=bosun@localhost"];

/** Runs git and returns stdout; throws a BosunError with git's stderr on failure. */
export async function runGit(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  const result = await runGitRaw(cwd, args, env);
  if (result.exitCode !== 0) {
    throw new BosunError(
      `git ${args.join(" ")} failed in ${cwd}: ${result.stderrTail.trim() || `exit ${String(result.exitCode)}`}`,
    );
  }
  return result.stdout;
}

function runGitRaw(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): ReturnType<typeof runProcess> {
  return runProcess({
    command: "git",
    args: ["-c", "core.quotepath=false", ...args],
    cwd,
    // Never let git open an editor or a pager, or ask for credentials on a terminal.
    env: { GIT_TERMINAL_PROMPT: "0", GIT_EDITOR: "true", GIT_PAGER: "cat", LC_ALL: "C", ...env },
  });
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

/** The working tree a directory is in, and the repository's main checkout. */
export interface CheckoutRoots {
  /** The top level of the working tree holding the directory (a linked worktree, or the main one). */
  workTree: string;
  /**
   * The main checkout's top level: the same as `workTree` unless that is a linked worktree
   * (`git worktree add`). Where git cannot tell (a bare repository's worktrees, a git dir made
   * with --separate-git-dir), the working tree itself.
   */
  mainCheckout: string;
}

/**
 * Finds the working tree holding `cwd` and the main checkout of its repository (where bosun keeps
 * `.bosun/`, shared by every worktree); a UsageError outside a repository.
 */
export async function getCheckoutRoots(cwd: string): Promise<CheckoutRoots> {
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
  const [workTree = "", gitDir, commonDir = ""] = lines;
  // The main working tree (or a submodule) has its own git dir; a linked one shares another's.
  if (gitDir === commonDir) return { workTree, mainCheckout: workTree };
  // A normal repository keeps its git dir in <main checkout>/.git.
  if (path.basename(commonDir) === ".git")
    return { workTree, mainCheckout: path.dirname(commonDir) };
  // A git dir elsewhere (a bare repository's worktrees, git init --separate-git-dir): git keeps no
  // path back to a main checkout (`git worktree list` shows the git dir), so this tree is its own.
  return { workTree, mainCheckout: workTree };
}

/** The current HEAD commit; a UsageError when the repository has no commits yet. */
export async function getHead(cwd: string): Promise<string> {
  try {
    return (await runGit(cwd, ["rev-parse", "--verify", "HEAD"])).trim();
  } catch (error) {
    throw new UsageError(
      `The repository at ${cwd} has no commits yet. Make a first commit, then run bosun.`,
      { cause: error },
    );
  }
}

/** Paths with uncommitted changes (tracked or untracked), `.bosun/` excluded. */
export async function listDirtyFiles(cwd: string): Promise<string[]> {
  const out = await runGit(cwd, ["status", "--porcelain=v1", "--untracked-files=all"]);
  return out
    .split("\n")
    .filter((line) => line.length > 3)
    .map((line) => line.slice(3))
    .filter((file) => !file.startsWith(".bosun/") && file !== ".bosun");
}

/** Adds `.bosun/` to the repository's local exclude file so bosun's state is never committed. */
export async function excludeBosunDir(cwd: string): Promise<void> {
  const excludeFile = path.resolve(
    cwd,
    (await runGit(cwd, ["rev-parse", "--git-path", "info/exclude"])).trim(),
  );
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

/** Commits every change in the tree (a checkpoint); returns the new HEAD, or null if nothing changed. */
export async function commitAll(cwd: string, message: string): Promise<string | null> {
  await runGit(cwd, ["add", "-A"]);
  const staged = await runGit(cwd, ["diff", "--cached", "--name-only"]);
  if (staged.trim() === "") return null;
  const hasIdentity = (await runGitOptional(cwd, ["config", "user.email"])) !== "";
  await runGit(cwd, [
    ...(hasIdentity ? [] : FALLBACK_IDENTITY),
    "commit",
    "--no-verify",
    // bosun's own commits must never stop for a signing prompt (commit.gpgSign).
    "--no-gpg-sign",
    "-q",
    "-m",
    message,
  ]);
  return getHead(cwd);
}

/** Files changed between two commits. */
export async function listChangedFiles(cwd: string, from: string, to: string): Promise<string[]> {
  if (from === to) return [];
  const out = await runGit(cwd, ["diff", "--name-only", from, to]);
  return out.split("\n").filter((line) => line !== "");
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

async function runGitOptional(cwd: string, args: readonly string[]): Promise<string> {
  try {
    return (await runGit(cwd, args)).trim();
  } catch {
    // git config exits 1 when a key is unset; that is an answer, not an error.
    return "";
  }
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
  const result = await runGitRaw(cwd, ["merge-base", "--is-ancestor", ancestor, commit]);
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
  const indexFile = path.resolve(
    cwd,
    (await runGit(cwd, ["rev-parse", "--git-path", `bosun-snapshot-${process.pid}.index`])).trim(),
  );
  // A throwaway index: the user's own staging area stays exactly as it was.
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await runGit(cwd, ["read-tree", head], env);
    await runGit(cwd, ["add", "-A"], env);
    const tree = (await runGit(cwd, ["write-tree"], env)).trim();
    const hasIdentity = (await runGitOptional(cwd, ["config", "user.email"])) !== "";
    const commit = (
      await runGit(cwd, [
        ...(hasIdentity ? [] : FALLBACK_IDENTITY),
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
  } finally {
    await rm(indexFile, { force: true });
  }
}
