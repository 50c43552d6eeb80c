import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../test/helpers/git-repo.js";
import { commitAll, getHead, readRef, runGit } from "./git.js";
import { countSpawns } from "../../test/helpers/count-spawns.js";
import { createWorktree, listWorktrees, readWorktreeBranches, removeWorktree } from "./worktree.js";

const INTEGRATION = "refs/heads/bosun/r1/integration";

/** A repo with an integration branch and a place for worktrees outside the checkout. */
async function makeRun(): Promise<{ repo: string; base: string; home: string }> {
  const repo = await makeGitRepo();
  const base = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
    "f.txt": "one\ntwo\n",
  });
  return { repo, base, home: await makeOutsideDir() };
}

describe("createWorktree", () => {
  it("cuts the task branch from the base into a worktree outside the checkout, leaving the checkout alone", async () => {
    const { repo, base, home } = await makeRun();
    const dir = path.join(home, "t1");
    const status = await runGit(repo, ["status", "--porcelain"]);

    const worktree = await createWorktree(repo, dir, "bosun/r1/t1", base);

    expect(worktree).toEqual({
      dir,
      branch: "refs/heads/bosun/r1/t1",
      head: base,
      isAdopted: false,
    });
    expect(await readFile(path.join(dir, "f.txt"), "utf8")).toBe("one\ntwo\n");
    expect(await readRef(repo, "refs/heads/bosun/r1/t1")).toBe(base);
    expect(await runGit(repo, ["config", "--get-regexp", "^branch\\."]).catch(() => "")).toBe("");
    expect(await runGit(repo, ["status", "--porcelain"])).toBe(status);
  });

  it("adopts the same worktree on resume, uncommitted work and all", async () => {
    const { repo, base, home } = await makeRun();
    const dir = path.join(home, "t1");
    await createWorktree(repo, dir, "bosun/r1/t1", base);
    await writeFile(path.join(dir, "work.txt"), "in progress\n");
    await writeFile(path.join(dir, "f.txt"), "one\nTWO\n");
    const committed = (await commitAll(dir, "part one")) ?? "";
    await writeFile(path.join(dir, "more.txt"), "uncommitted\n");

    const again = await createWorktree(repo, dir, "refs/heads/bosun/r1/t1", base);

    expect(again).toEqual({
      dir,
      branch: "refs/heads/bosun/r1/t1",
      head: committed,
      isAdopted: true,
    });
    expect(await readFile(path.join(dir, "more.txt"), "utf8")).toBe("uncommitted\n");
  });

  it("checks out a branch left by a create that died half-way, instead of cutting it again", async () => {
    const { repo, base, home } = await makeRun();
    const progress = await commitOnBranch(repo, "bosun/r1/t1", base, { "g.txt": "g\n" });

    const worktree = await createWorktree(repo, path.join(home, "t1"), "bosun/r1/t1", base);

    expect(worktree).toMatchObject({ head: progress, isAdopted: false });
  });

  it("re-creates a worktree whose directory was deleted, and finds a worktree through a symlinked path", async () => {
    const { repo, base, home } = await makeRun();
    const dir = path.join(home, "t1");
    await createWorktree(repo, dir, "bosun/r1/t1", base);
    await rm(dir, { recursive: true, force: true });

    expect(await createWorktree(repo, dir, "bosun/r1/t1", base)).toMatchObject({
      isAdopted: false,
    });
    await symlink(home, path.join(home, "link"));
    expect(
      await createWorktree(repo, path.join(home, "link", "t1"), "bosun/r1/t1", base),
    ).toMatchObject({
      dir,
      isAdopted: true,
    });
  });

  it("refuses a directory that holds another branch's worktree or anything else, naming it", async () => {
    const { repo, base, home } = await makeRun();
    const taken = path.join(home, "t1");
    await createWorktree(repo, taken, "bosun/r1/t1", base);
    const occupied = path.join(home, "occupied");
    await mkdir(occupied);
    await writeFile(path.join(occupied, "notes.txt"), "mine\n");

    await expect(createWorktree(repo, taken, "bosun/r1/t2", base)).rejects.toThrow(
      `${taken} is already a worktree of ${repo} on refs/heads/bosun/r1/t1, not refs/heads/bosun/r1/t2`,
    );
    await expect(createWorktree(repo, occupied, "bosun/r1/t2", base)).rejects.toThrow(
      `${occupied} exists and is not a worktree`,
    );
    expect(await readRef(repo, "refs/heads/bosun/r1/t2")).toBeNull();
    expect(await readFile(path.join(occupied, "notes.txt"), "utf8")).toBe("mine\n");
  });
});

describe("listWorktrees", () => {
  it("parses branch, detached, locked with its reason, and prunable entries, odd paths included", async () => {
    const { repo, base, home } = await makeRun();
    const spaced = path.join(home, "with space\nand newline");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t1", spaced, base]);
    const detached = path.join(home, "detached");
    await runGit(repo, ["worktree", "add", "-q", "--detach", detached, base]);
    await runGit(repo, ["worktree", "lock", "--reason", "bosun: r1 t2", detached]);
    const gone = path.join(home, "gone");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t3", gone, base]);
    await rm(gone, { recursive: true, force: true });

    const worktrees = await listWorktrees(repo);

    // The main worktree comes first; git lists the others in the order of its own admin dirs.
    const byDir = (a: { dir: string }, b: { dir: string }): number => a.dir.localeCompare(b.dir);
    const [main, ...others] = worktrees;
    expect(main).toEqual({
      dir: repo,
      head: await getHead(repo),
      branch: "refs/heads/main",
      isBare: false,
      lockedReason: null,
      isPrunable: false,
    });
    expect(others.sort(byDir)).toEqual(
      [
        {
          dir: spaced,
          head: base,
          branch: "refs/heads/bosun/r1/t1",
          isBare: false,
          lockedReason: null,
          isPrunable: false,
        },
        {
          dir: detached,
          head: base,
          branch: null,
          isBare: false,
          lockedReason: "bosun: r1 t2",
          isPrunable: false,
        },
        {
          dir: gone,
          head: base,
          branch: "refs/heads/bosun/r1/t3",
          isBare: false,
          lockedReason: null,
          isPrunable: true,
        },
      ].sort(byDir),
    );
  });
});

describe("removeWorktree", () => {
  /** A task worktree with a committed change (f.txt) on its branch. */
  async function makeTask(): Promise<{ repo: string; base: string; dir: string; task: string }> {
    const { repo, base, home } = await makeRun();
    const dir = path.join(home, "t1");
    await createWorktree(repo, dir, "bosun/r1/t1", base);
    await writeFile(path.join(dir, "f.txt"), "one\nTWO\n");
    const task = (await commitAll(dir, "task change")) ?? "";
    return { repo, base, dir, task };
  }

  it("refuses while the branch's change is not in the target, touching nothing", async () => {
    const { repo, base, dir } = await makeTask();

    const result = await removeWorktree(repo, dir, { base, target: INTEGRATION });

    expect(result).toMatchObject({ kind: "refused" });
    expect(result.kind === "refused" ? result.reason : "").toContain(
      `The work in ${dir} (refs/heads/bosun/r1/t1) is not in ${INTEGRATION} yet`,
    );
    expect(await readFile(path.join(dir, "f.txt"), "utf8")).toBe("one\nTWO\n");
  });

  it("removes a worktree whose change was squashed into the target, keeping the branch", async () => {
    const { repo, base, dir, task } = await makeTask();
    await commitOnBranch(repo, "bosun/r1/integration", base, { "f.txt": "one\nTWO\n" });

    expect(await removeWorktree(repo, dir, { base, target: INTEGRATION })).toEqual({
      kind: "removed",
      snapshotRef: null,
    });
    expect((await listWorktrees(repo)).map((worktree) => worktree.dir)).toEqual([repo]);
    expect(await readRef(repo, "refs/heads/bosun/r1/t1")).toBe(task);
    expect(await removeWorktree(repo, dir, { base, target: INTEGRATION })).toEqual({
      kind: "absent",
    });
  });

  it("counts uncommitted work as part of the change: refused while it is not merged", async () => {
    const { repo, base, dir } = await makeTask();
    await commitOnBranch(repo, "bosun/r1/integration", base, { "f.txt": "one\nTWO\n" });
    await writeFile(path.join(dir, "late.txt"), "not committed\n");

    expect(await removeWorktree(repo, dir, { base, target: INTEGRATION })).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining("with uncommitted changes") as unknown,
    });
  });

  it("when forced, saves tracked changes and untracked files (not ignored ones) to a ref, then removes", async () => {
    const { repo, base, dir, task } = await makeTask();
    await writeFile(path.join(dir, "f.txt"), "one\nTWO\nthree\n");
    await writeFile(path.join(dir, "new.txt"), "untracked\n");
    await writeFile(path.join(dir, ".gitignore"), "build/\n");
    await mkdir(path.join(dir, "build"));
    await writeFile(path.join(dir, "build", "out.js"), "generated\n");

    const result = await removeWorktree(repo, dir, {
      base,
      target: INTEGRATION,
      isForced: true,
      snapshotRef: "refs/bosun/snapshots/test",
    });

    expect(result).toEqual({ kind: "removed", snapshotRef: "refs/bosun/snapshots/test" });
    const snapshot = (await readRef(repo, "refs/bosun/snapshots/test")) ?? "";
    expect(await runGit(repo, ["rev-parse", `${snapshot}^`])).toBe(task);
    expect(await runGit(repo, ["ls-tree", "--name-only", snapshot])).toBe(
      ".gitignore\nREADME.md\nf.txt\nnew.txt",
    );
    expect(await runGit(repo, ["cat-file", "-p", `${snapshot}:f.txt`])).toBe("one\nTWO\nthree");
    expect((await listWorktrees(repo)).map((worktree) => worktree.dir)).toEqual([repo]);
  });

  it("when forced, keeps a detached HEAD's commits in the snapshot ref", async () => {
    const { repo, base, dir } = await makeTask();
    await runGit(dir, ["checkout", "-q", "--detach"]);
    await writeFile(path.join(dir, "g.txt"), "detached work\n");
    const detached = (await commitAll(dir, "detached change")) ?? "";

    const result = await removeWorktree(repo, dir, { base, target: INTEGRATION, isForced: true });

    expect(result).toMatchObject({ kind: "removed" });
    const snapshotRef = result.kind === "removed" ? (result.snapshotRef ?? "") : "";
    expect(await runGit(repo, ["rev-parse", `${snapshotRef}^`])).toBe(detached);
    expect(await runGit(repo, ["cat-file", "-p", `${snapshotRef}:g.txt`])).toBe("detached work");
  });

  it("refuses a locked worktree unless forced, and forgets one whose directory is already gone", async () => {
    const { repo, base, dir } = await makeTask();
    await runGit(repo, ["worktree", "lock", "--reason", "bosun lease", dir]);

    expect(await removeWorktree(repo, dir, { base, target: INTEGRATION })).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining("is locked (bosun lease)") as unknown,
    });
    expect(await removeWorktree(repo, dir, { base, target: INTEGRATION, isForced: true })).toEqual({
      kind: "removed",
      snapshotRef: null,
    });

    const gone = path.join(path.dirname(dir), "t2");
    await createWorktree(repo, gone, "bosun/r1/t2", base);
    await rm(gone, { recursive: true, force: true });
    expect(await removeWorktree(repo, gone, { base, target: INTEGRATION })).toEqual({
      kind: "removed",
      snapshotRef: null,
    });
    expect((await listWorktrees(repo)).map((worktree) => worktree.dir)).toEqual([repo]);
  });

  it("never removes the main checkout, even forced", async () => {
    const { repo, base } = await makeRun();
    await writeFile(path.join(repo, "mine.txt"), "the user's\n");

    const result = await removeWorktree(repo, repo, { base, target: INTEGRATION, isForced: true });

    expect(result).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining("main checkout") as unknown,
    });
    expect(await readFile(path.join(repo, "mine.txt"), "utf8")).toBe("the user's\n");
    expect(await runGit(repo, ["for-each-ref", "refs/bosun"])).toBe("");
  });
});

describe("readWorktreeBranches", () => {
  it("reads from git's files what listWorktrees says of branches and prunable entries, with no git process", async () => {
    const { repo, base, home } = await makeRun();
    const spaced = path.join(home, "with space\nand newline");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t1", spaced, base]);
    await runGit(repo, ["worktree", "add", "-q", "--detach", path.join(home, "detached"), base]);
    const gone = path.join(home, "gone");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t3", gone, base]);
    await rm(gone, { recursive: true, force: true });
    // Gone but locked: git keeps it, and its branch stays checked out.
    const lockedGone = path.join(home, "locked-gone");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t4", lockedGone, base]);
    await runGit(repo, ["worktree", "lock", lockedGone]);
    await rm(lockedGone, { recursive: true, force: true });

    const { result, spawns } = await countSpawns(() => readWorktreeBranches(repo));

    expect(spawns).toEqual([]);
    const fromGit = (await listWorktrees(repo)).map(({ dir, branch, isPrunable }) => ({
      dir,
      branch,
      isPrunable,
    }));
    const byDir = (a: { dir: string }, b: { dir: string }): number => a.dir.localeCompare(b.dir);
    expect(result.sort(byDir)).toEqual(fromGit.sort(byDir));
    expect(result.find((entry) => entry.dir === lockedGone)?.isPrunable).toBe(false);
  });

  it("leaves a repository it does not lay out itself (.git a file: a worktree given as the repository) to git", async () => {
    const { repo, base, home } = await makeRun();
    const linked = path.join(home, "linked");
    await runGit(repo, ["worktree", "add", "-q", "-b", "bosun/r1/t1", linked, base]);

    const { result, spawns } = await countSpawns(() => readWorktreeBranches(linked));

    expect(spawns).toEqual(["git"]);
    expect(result.map((entry) => entry.branch)).toEqual(
      (await listWorktrees(repo)).map((entry) => entry.branch),
    );
  });
});
