import { mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeGitRepo, makeOutsideDir } from "../../test/helpers/git-repo.js";
import { getCheckoutRoots, getCheckoutRootsFromGit, runGit } from "./git.js";
import { readCheckoutRoots } from "./repo-root.js";

/** A repo (physical path) with a `src/deep` directory, and a linked worktree of it. */
async function makeRepoWithWorktree(): Promise<{ main: string; worktree: string }> {
  const main = await realpath(await makeGitRepo());
  const worktree = path.join(await realpath(await makeOutsideDir()), "wt");
  await runGit(main, ["worktree", "add", "-q", "-b", "task-1", worktree]);
  await mkdir(path.join(main, "src", "deep"), { recursive: true });
  await mkdir(path.join(worktree, "src", "deep"), { recursive: true });
  return { main, worktree };
}

/** What git says for `dir`, or the message it fails with. */
async function askGit(dir: string): Promise<unknown> {
  return getCheckoutRootsFromGit(dir).catch((error: unknown) => String(error));
}

/** Every answer `getCheckoutRoots` gives is git's, whichever way it found it. */
async function expectSameAsGit(dir: string): Promise<void> {
  expect(await getCheckoutRoots(dir).catch((error: unknown) => String(error))).toEqual(
    await askGit(dir),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("readCheckoutRoots", () => {
  it("reads git's answer from the files in a repository, its subdirectories and linked worktrees", async () => {
    const { main, worktree } = await makeRepoWithWorktree();
    const dirs = [
      main,
      path.join(main, "src", "deep"),
      worktree,
      path.join(worktree, "src", "deep"),
    ];
    for (const dir of dirs) {
      const roots = readCheckoutRoots(dir, {});
      expect(roots, dir).toBeDefined();
      expect(roots, dir).toEqual(await askGit(dir));
    }
    expect(readCheckoutRoots(path.join(worktree, "src"), {})).toEqual({
      workTree: worktree,
      mainCheckout: main,
    });
  });

  it("gives the physical paths git prints when the cwd is reached through a symlink", async () => {
    const { main, worktree } = await makeRepoWithWorktree();
    const links = await makeOutsideDir();
    await symlink(path.join(main, "src"), path.join(links, "main-src"));
    await symlink(worktree, path.join(links, "wt"));
    for (const dir of [path.join(links, "main-src"), path.join(links, "wt", "src")]) {
      const roots = readCheckoutRoots(dir, {});
      expect(roots, dir).toBeDefined();
      expect(roots, dir).toEqual(await askGit(dir));
    }
  });

  it("follows a gitfile without a commondir (a separate git dir, as a submodule has) as git does", async () => {
    const base = await realpath(await makeOutsideDir());
    const checkout = path.join(base, "checkout");
    await runGit(base, ["init", "-q", "-b", "main", "--separate-git-dir", "git-dir", checkout]);
    await writeFile(path.join(checkout, "a.txt"), "a\n");
    await runGit(checkout, ["add", "a.txt"]);
    await runGit(checkout, [
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@t",
      "commit",
      "-q",
      "-m",
      "a",
    ]);
    const worktree = path.join(base, "wt");
    await runGit(checkout, ["worktree", "add", "-q", "-b", "task-1", worktree]);
    // A relative gitdir, as `git submodule` writes it.
    await writeFile(path.join(checkout, ".git"), "gitdir: ../git-dir\n");

    for (const dir of [checkout, worktree]) {
      const roots = readCheckoutRoots(dir, {});
      expect(roots, dir).toBeDefined();
      expect(roots, dir).toEqual(await askGit(dir));
    }
    expect(readCheckoutRoots(worktree, {})).toEqual({
      workTree: worktree,
      mainCheckout: worktree,
    });
  });

  it("leaves to git what the files do not settle, and git's answer is what getCheckoutRoots gives", async () => {
    const { main } = await makeRepoWithWorktree();
    const outside = await realpath(await makeOutsideDir());
    // A bare repository's worktree: its config says bare.
    const bare = path.join(outside, "bare.git");
    await runGit(outside, ["clone", "-q", "--bare", main, bare]);
    const bareWorktree = path.join(outside, "bare-wt");
    await runGit(bare, ["worktree", "add", "-q", "-b", "task-2", bareWorktree]);
    // A working tree moved by core.worktree (a submodule's config has one).
    const moved = path.join(outside, "moved");
    await runGit(outside, ["init", "-q", "-b", "main", moved]);
    await mkdir(path.join(moved, "tree"));
    await runGit(moved, ["config", "core.worktree", path.join(moved, "tree")]);
    // An empty .git directory, and one whose HEAD is not a ref: git passes over both.
    await mkdir(path.join(main, "src", "empty", ".git"), { recursive: true });
    const broken = path.join(main, "src", "broken", ".git");
    await mkdir(path.join(broken, "objects"), { recursive: true });
    await mkdir(path.join(broken, "refs"));
    await writeFile(path.join(broken, "HEAD"), "not a ref\n");
    await writeFile(path.join(broken, "config"), "[core]\n\tbare = false\n");

    const unsettled = [
      path.join(main, ".git"),
      path.join(main, ".git", "refs"),
      bare,
      bareWorktree,
      moved,
      path.join(main, "src", "empty"),
      path.join(main, "src", "broken"),
      outside,
    ];
    for (const dir of unsettled) {
      expect(readCheckoutRoots(dir, {}), dir).toBeUndefined();
      await expectSameAsGit(dir);
    }
    expect(await getCheckoutRoots(path.join(main, "src", "empty"))).toEqual({
      workTree: main,
      mainCheckout: main,
    });
    await expect(getCheckoutRoots(outside)).rejects.toThrow("is not inside a git repository");
  });

  it("leaves discovery to git when a variable that steers it is set", async () => {
    const { main } = await makeRepoWithWorktree();
    expect(readCheckoutRoots(main, {})).toBeDefined();
    for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES"])
      expect(readCheckoutRoots(main, { [name]: main }), name).toBeUndefined();
  });

  it("leaves to git a repository whose files another user owns (git's safe.directory check)", async () => {
    const { main } = await makeRepoWithWorktree();
    // Another user, rather than chown (which needs root).
    vi.spyOn(process, "geteuid").mockReturnValue((process.geteuid?.() ?? 0) + 1);
    expect(readCheckoutRoots(main, {})).toBeUndefined();
  });
});
