/**
 * Finding a directory's working tree and main checkout from the files git itself reads (`.git`, a
 * linked worktree's gitfile and `commondir`), so a read command need not spawn git to learn it.
 * Anything this reader does not fully understand is left to git (`getCheckoutRootsFromGit`).
 */
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import { isNodeError } from "../errors.js";

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
 * Environment variables that change where git looks for a repository, or whether it accepts one:
 * with any of them set, only git can say.
 */
const DISCOVERY_ENV_VARS = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_CEILING_DIRECTORIES",
  "GIT_DISCOVERY_ACROSS_FILESYSTEM",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
  "GIT_TEST_ASSUME_DIFFERENT_OWNER",
];

/** What one directory of the walk up from the cwd holds. */
type DirFinding = { kind: "found"; roots: CheckoutRoots } | { kind: "none" } | { kind: "unsure" };

/** Nothing that looks like a repository here: go on to the parent. */
const NONE: DirFinding = { kind: "none" };

/** Something git may read differently: ask git. */
const UNSURE: DirFinding = { kind: "unsure" };

/**
 * The roots `git rev-parse --show-toplevel --git-dir --git-common-dir` would report for `cwd`,
 * read from the files alone; undefined whenever git could answer otherwise: outside a repository,
 * inside a git dir, a bare repository, `core.worktree` or another config key this reader does
 * not follow (a submodule's), a file owned by another user (git's safe.directory check), a mount
 * point crossed, or a discovery variable set (`GIT_DIR`, `GIT_CEILING_DIRECTORIES`, …).
 */
export function readCheckoutRoots(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): CheckoutRoots | undefined {
  if (DISCOVERY_ENV_VARS.some((name) => env[name] !== undefined)) return undefined;
  // Without a uid (Windows) git's ownership check cannot be mirrored.
  const uid = process.geteuid?.();
  if (uid === undefined) return undefined;
  try {
    // git walks up from the physical cwd and prints physical paths. Synchronous: a handful of
    // tiny reads at start-up, each far cheaper than a round trip through the thread pool.
    const start = realpathSync(cwd);
    const { dev } = statSync(start);
    for (let dir = start; ;) {
      const dirStats = lstatSync(dir);
      // git stops at a file-system boundary (GIT_DISCOVERY_ACROSS_FILESYSTEM is unset).
      if (dirStats.dev !== dev) return undefined;
      const finding = readDirFinding(dir, dirStats, uid);
      if (finding.kind === "found") return finding.roots;
      if (finding.kind === "unsure") return undefined;
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  } catch {
    // A vanished or unreadable file on the way: git reads the same files and says what is wrong.
    return undefined;
  }
}

/**
 * The main checkout for a working tree with this git dir and common dir (absolute paths, as
 * `git rev-parse --path-format=absolute` prints them).
 */
export function getMainCheckout(workTree: string, gitDir: string, commonDir: string): string {
  // The main working tree (or a submodule) has its own git dir; a linked one shares another's.
  if (gitDir === commonDir) return workTree;
  // A normal repository keeps its git dir in <main checkout>/.git.
  if (path.basename(commonDir) === ".git") return path.dirname(commonDir);
  // A git dir elsewhere (a bare repository's worktrees, git init --separate-git-dir): git keeps no
  // path back to a main checkout (`git worktree list` shows the git dir), so this tree is its own.
  return workTree;
}

/** What `dir` (physical, its lstat `dirStats`) holds, in git's order: `.git`, then itself. */
function readDirFinding(dir: string, dirStats: Stats, uid: number): DirFinding {
  const dotGit = path.join(dir, ".git");
  const dotGitStats = lstatOrUndefined(dotGit);
  if (dotGitStats === undefined) {
    // `dir` may itself be a git dir (a bare repository, or the cwd is inside .git/): git's rules
    // differ there (no working tree), so git decides.
    return lstatOrUndefined(path.join(dir, "HEAD")) === undefined ? NONE : UNSURE;
  }
  // git refuses a repository another user owns unless safe.directory allows it.
  if (dirStats.uid !== uid || dotGitStats.uid !== uid) return UNSURE;
  if (dotGitStats.isDirectory()) {
    const isPlain =
      isGitDir(dotGit, dotGit) &&
      lstatOrUndefined(path.join(dotGit, "commondir")) === undefined &&
      hasPlainConfig(dotGit);
    return isPlain ? { kind: "found", roots: { workTree: dir, mainCheckout: dir } } : UNSURE;
  }
  if (!dotGitStats.isFile()) return UNSURE;
  // A gitfile: a linked worktree's, or a submodule's.
  const target = parseGitfile(readFileSync(dotGit, "utf8"));
  if (target === undefined) return UNSURE;
  const gitDir = realpathSync(path.resolve(dir, target));
  if (lstatSync(gitDir).uid !== uid) return UNSURE;
  const commonText = readTextOrUndefined(path.join(gitDir, "commondir"));
  const commonPath = commonText === undefined ? undefined : parseCommonDir(commonText);
  if (commonText !== undefined && commonPath === undefined) return UNSURE;
  const commonDir =
    commonPath === undefined ? gitDir : realpathSync(path.resolve(gitDir, commonPath));
  if (!isGitDir(gitDir, commonDir) || !hasPlainConfig(commonDir)) return UNSURE;
  return {
    kind: "found",
    roots: { workTree: dir, mainCheckout: getMainCheckout(dir, gitDir, commonDir) },
  };
}

/**
 * git's own test for a git dir (`is_git_directory`): a HEAD naming a ref or a commit, and the
 * common dir's objects and refs. (git passes over a `.git` failing it and looks further up.)
 */
function isGitDir(gitDir: string, commonDir: string): boolean {
  const head = readTextOrUndefined(path.join(gitDir, "HEAD"));
  const objects = lstatOrUndefined(path.join(commonDir, "objects"));
  const refs = lstatOrUndefined(path.join(commonDir, "refs"));
  return (
    head !== undefined &&
    /^(ref: refs\/|[0-9a-f]{40}\s)/.test(head) &&
    objects?.isDirectory() === true &&
    refs?.isDirectory() === true
  );
}

/**
 * Whether the repository config has nothing that moves or removes the working tree or that this
 * reader does not follow: `core.worktree`, `core.bare` other than false, includes, extensions, a
 * repository format git may refuse. Matched loosely (a URL with "include" in it counts): a false
 * alarm only means asking git.
 */
function hasPlainConfig(commonDir: string): boolean {
  const text = readTextOrUndefined(path.join(commonDir, "config"));
  if (text === undefined) return false;
  return text.split("\n").every((raw) => {
    const line = raw.trim().toLowerCase();
    if (/worktree|include|extensions/.test(line)) return false;
    if (line.includes("bare") && !/^bare\s*=\s*false$/.test(line)) return false;
    return (
      !line.includes("repositoryformatversion") || /^repositoryformatversion\s*=\s*[01]$/.test(line)
    );
  });
}

/** The path in a gitfile (`gitdir: <path>`, as git writes it); undefined for anything else. */
function parseGitfile(text: string): string | undefined {
  const match = /^gitdir: (\S(?:[^\r\n]*\S)?)\r?\n?$/.exec(text);
  return match?.[1];
}

/** The path in a `commondir` file (one line); undefined for anything else. */
function parseCommonDir(text: string): string | undefined {
  const match = /^(\S(?:[^\r\n]*\S)?)\r?\n?$/.exec(text);
  return match?.[1];
}

function lstatOrUndefined(file: string): Stats | undefined {
  return lstatSync(file, { throwIfNoEntry: false });
}

function readTextOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return isNodeError(error) && error.code === "ENOENT";
}
