/**
 * Real temp git repositories for the workspace tests: one per test, removed when it finishes,
 * with commits made on a branch without checking it out (as a task worktree's would be).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";
import { runGit } from "../../src/workspace/git.js";
import { createTempGitRepo } from "./agent-env.js";

/** A temp repo on `main` with one commit (README.md), removed after the current test. */
export async function makeGitRepo(): Promise<string> {
  const repo = await createTempGitRepo();
  onTestFinished(() => rm(repo, { recursive: true, force: true }));
  return repo;
}

/** An empty temp dir (for worktrees outside the repository), removed after the current test. */
export async function makeOutsideDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-worktrees-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Commits `files` (path → content; null deletes) on top of `parent` and points `branch` at the
 * new commit, all in the object store: no checkout, no index of the repository's own touched.
 */
export async function commitOnBranch(
  repo: string,
  branch: string,
  parent: string,
  files: Readonly<Record<string, string | null>>,
  message = `change ${Object.keys(files).join(", ")}`,
): Promise<string> {
  const index = path.join(await mkdtemp(path.join(os.tmpdir(), "bosun-index-")), "index");
  const env = { GIT_INDEX_FILE: index };
  try {
    await runGit(repo, ["read-tree", parent], env);
    for (const [file, content] of Object.entries(files)) {
      if (content === null) {
        await runGit(repo, ["update-index", "--force-remove", "--", file], env);
        continue;
      }
      const blob = await writeBlob(repo, content);
      await runGit(repo, ["update-index", "--add", "--cacheinfo", `100644,${blob},${file}`], env);
    }
    const tree = (await runGit(repo, ["write-tree"], env)).trim();
    const commit = (await runGit(repo, ["commit-tree", tree, "-p", parent, "-m", message])).trim();
    await runGit(repo, ["update-ref", `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    await rm(path.dirname(index), { recursive: true, force: true });
  }
}

/** Writes `content` as a blob (exact bytes, no filters) and returns its id. */
async function writeBlob(repo: string, content: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-blob-"));
  try {
    const file = path.join(dir, "blob");
    await writeFile(file, content);
    return (await runGit(repo, ["hash-object", "-w", "--no-filters", file])).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
