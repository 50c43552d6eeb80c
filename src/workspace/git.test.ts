import { mkdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTempGitRepo } from "../../test/helpers/agent-env.js";
import {
  commitAll,
  getCheckoutRoots,
  getHead,
  isAncestor,
  listCommits,
  runGit,
  snapshotWorkingTree,
} from "./git.js";

const repos: string[] = [];

afterEach(async () => {
  for (const repo of repos.splice(0)) await rm(repo, { recursive: true, force: true });
});

async function makeRepo(): Promise<string> {
  const repo = await createTempGitRepo();
  repos.push(repo);
  return repo;
}

describe("snapshotWorkingTree", () => {
  it("saves edits, staged changes and untracked files under a ref, leaving HEAD, index and files as they were", async () => {
    const repo = await makeRepo();
    const head = await getHead(repo);
    await writeFile(path.join(repo, "README.md"), "edited\n");
    await writeFile(path.join(repo, "staged.txt"), "staged\n");
    await runGit(repo, ["add", "staged.txt"]);
    await writeFile(path.join(repo, "new.txt"), "untracked\n");
    await writeFile(path.join(repo, ".gitignore"), "ignored.txt\n");
    await writeFile(path.join(repo, "ignored.txt"), "ignored\n");
    const statusBefore = await runGit(repo, ["status", "--porcelain"]);

    const commit = await snapshotWorkingTree(repo, "refs/bosun/test/snap", "snapshot");

    expect(await getHead(repo)).toBe(head);
    expect(await runGit(repo, ["status", "--porcelain"])).toBe(statusBefore);
    expect((await runGit(repo, ["rev-parse", "refs/bosun/test/snap"])).trim()).toBe(commit);
    expect((await runGit(repo, ["rev-parse", `${commit}^`])).trim()).toBe(head);
    expect(await runGit(repo, ["show", `${commit}:README.md`])).toBe("edited");
    expect(await runGit(repo, ["show", `${commit}:staged.txt`])).toBe("staged");
    expect(await runGit(repo, ["show", `${commit}:new.txt`])).toBe("untracked");
    // What .gitignore covers is not the tree's content (and bosun never deletes it either).
    expect(await runGit(repo, ["ls-tree", "--name-only", commit])).not.toContain("ignored.txt");
    expect(await readFile(path.join(repo, "README.md"), "utf8")).toBe("edited\n");
  });
});

describe("listCommits and isAncestor", () => {
  it("lists the commits between two points, newest first, and tells ancestry", async () => {
    const repo = await makeRepo();
    const base = await getHead(repo);
    await writeFile(path.join(repo, "a.txt"), "a\n");
    const first = (await commitAll(repo, "add a")) ?? "";
    await writeFile(path.join(repo, "b.txt"), "b\n");
    const second = (await commitAll(repo, "add b")) ?? "";

    const commits = await listCommits(repo, base, second);

    expect(commits).toEqual([`${second.slice(0, 7)} add b`, `${first.slice(0, 7)} add a`]);
    expect(await listCommits(repo, second, second)).toEqual([]);
    expect(await isAncestor(repo, base, second)).toBe(true);
    expect(await isAncestor(repo, second, base)).toBe(false);
  });
});

describe("getCheckoutRoots", () => {
  it("finds the main checkout from inside a linked worktree, and itself from the main one", async () => {
    const main = await realpath(await makeRepo());
    const worktree = `${main}-wt`;
    repos.push(worktree);
    await runGit(main, ["worktree", "add", "-q", "-b", "task-1", worktree]);
    await mkdir(path.join(worktree, "src", "deep"), { recursive: true });
    await mkdir(path.join(main, "docs"));

    expect(await getCheckoutRoots(path.join(worktree, "src", "deep"))).toEqual({
      workTree: worktree,
      mainCheckout: main,
    });
    expect(await getCheckoutRoots(worktree)).toEqual({ workTree: worktree, mainCheckout: main });
    expect(await getCheckoutRoots(path.join(main, "docs"))).toEqual({
      workTree: main,
      mainCheckout: main,
    });
  });

  it("keeps a worktree as its own root where git cannot name the main checkout (--separate-git-dir)", async () => {
    const base = await realpath(await makeRepo());
    const main = path.join(base, "checkout");
    const worktree = path.join(base, "wt");
    await runGit(base, [
      "init",
      "-q",
      "-b",
      "main",
      "--separate-git-dir",
      path.join(base, "git-dir"),
      main,
    ]);
    await writeFile(path.join(main, "a.txt"), "a\n");
    await runGit(main, ["add", "a.txt"]);
    await runGit(main, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a"]);
    await runGit(main, ["worktree", "add", "-q", "-b", "task-1", worktree]);

    // git keeps no path from the git dir back to the checkout: `worktree list` names the git dir.
    expect(await getCheckoutRoots(worktree)).toEqual({
      workTree: worktree,
      mainCheckout: worktree,
    });
    expect(await getCheckoutRoots(main)).toEqual({ workTree: main, mainCheckout: main });
  });

  it("keeps a bare repository's worktree as its own root: there is no main checkout", async () => {
    const base = await realpath(await makeRepo());
    const bare = path.join(base, "bare.git");
    const worktree = path.join(base, "wt");
    await runGit(base, ["clone", "-q", "--bare", base, bare]);
    await runGit(bare, ["worktree", "add", "-q", "-b", "task-1", worktree]);

    expect(await getCheckoutRoots(worktree)).toEqual({
      workTree: worktree,
      mainCheckout: worktree,
    });
  });

  it("is a usage error outside any working tree", async () => {
    const repo = await makeRepo();
    await expect(getCheckoutRoots(path.join(repo, ".git"))).rejects.toThrow(
      "is not inside a git repository",
    );
  });
});
