import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countSpawns } from "../../test/helpers/count-spawns.js";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../test/helpers/git-repo.js";
import { commitAll, getHead, runGit } from "./git.js";
import {
  canChangesConflict,
  findConflicts,
  getSharedPaths,
  listChangedPaths,
  listWorktreeChanges,
  snapshotTree,
  snapshotTreeIfChanged,
} from "./overlap.js";
import { createWorktree } from "./worktree.js";

const TEXT = "one\ntwo\nthree\nfour\nfive\n";

/** Two task worktrees cut from the same integration tip, which holds f.txt and g.txt. */
async function makeTwoTasks(): Promise<{ repo: string; base: string; a: string; b: string }> {
  const repo = await makeGitRepo();
  const base = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
    "f.txt": TEXT,
    "g.txt": TEXT,
  });
  const home = await makeOutsideDir();
  const a = (await createWorktree(repo, path.join(home, "a"), "bosun/r1/a", base)).dir;
  const b = (await createWorktree(repo, path.join(home, "b"), "bosun/r1/b", base)).dir;
  return { repo, base, a, b };
}

describe("snapshotTree", () => {
  it("captures a worktree's uncommitted and untracked work without touching its index", async () => {
    const { repo, a } = await makeTwoTasks();
    await writeFile(path.join(a, "f.txt"), TEXT.replace("one", "ONE"));
    await writeFile(path.join(a, "new.txt"), "new\n");
    await runGit(a, ["add", "new.txt"]);
    await writeFile(path.join(a, "untracked.txt"), "untracked\n");
    const indexFile = (
      await runGit(a, ["rev-parse", "--path-format=absolute", "--git-path", "index"])
    ).trim();
    const indexBefore = await readFile(indexFile);
    const statusBefore = await runGit(a, ["status", "--porcelain"]);

    const tree = await snapshotTree(a);

    expect(await runGit(repo, ["ls-tree", "--name-only", tree])).toBe(
      "README.md\nf.txt\ng.txt\nnew.txt\nuntracked.txt",
    );
    expect(await runGit(repo, ["cat-file", "-p", `${tree}:f.txt`])).toBe(
      "ONE\ntwo\nthree\nfour\nfive",
    );
    expect(await readFile(indexFile)).toEqual(indexBefore);
    expect(await runGit(a, ["status", "--porcelain"])).toBe(statusBefore);
  });
});

describe("findConflicts", () => {
  it("finds where two running tasks' uncommitted edits conflict, writing no ref", async () => {
    const { repo, base, a, b } = await makeTwoTasks();
    await writeFile(path.join(a, "f.txt"), TEXT.replace("two", "TWO"));
    await writeFile(path.join(b, "f.txt"), TEXT.replace("two", "deux"));
    await writeFile(path.join(a, "g.txt"), TEXT.replace("one", "ONE"));
    await writeFile(path.join(b, "g.txt"), TEXT.replace("five", "FIVE"));
    const refsBefore = await runGit(repo, ["for-each-ref"]);

    const conflicts = await findConflicts(repo, {
      base,
      a: await snapshotTree(a),
      b: await snapshotTree(b),
    });

    expect(conflicts).toEqual(["f.txt"]);
    expect(await runGit(repo, ["for-each-ref"])).toBe(refsBefore);
  });

  it("is empty when the changes merge cleanly, and works on committed branches too", async () => {
    const { repo, base, a, b } = await makeTwoTasks();
    await writeFile(path.join(a, "f.txt"), TEXT.replace("one", "ONE"));
    await writeFile(path.join(b, "f.txt"), TEXT.replace("five", "FIVE"));
    const committedA = (await commitAll(a, "a")) ?? "";
    const committedB = (await commitAll(b, "b")) ?? "";

    expect(await findConflicts(repo, { base, a: committedA, b: committedB })).toEqual([]);
    expect(await findConflicts(repo, { base, a: "bosun/r1/a", b: await snapshotTree(b) })).toEqual(
      [],
    );
  });
});

describe("listChangedPaths and getSharedPaths", () => {
  it("lists both sides of a rename and names with spaces, and what two changes share", async () => {
    const { repo, base, a, b } = await makeTwoTasks();
    await runGit(a, ["mv", "g.txt", "moved g.txt"]);
    await writeFile(path.join(a, "f.txt"), TEXT.replace("one", "ONE"));
    await writeFile(path.join(b, "f.txt"), TEXT.replace("five", "FIVE"));
    await writeFile(path.join(b, "g.txt"), TEXT.replace("two", "TWO"));

    const changedA = await listChangedPaths(repo, base, await snapshotTree(a));
    const changedB = await listChangedPaths(repo, base, await snapshotTree(b));

    expect(changedA).toEqual(["f.txt", "g.txt", "moved g.txt"]);
    expect(changedB).toEqual(["f.txt", "g.txt"]);
    expect(getSharedPaths(changedA, changedB)).toEqual(["f.txt", "g.txt"]);
    expect(await listChangedPaths(repo, base, base)).toEqual([]);
  });
});

describe("listWorktreeChanges and canChangesConflict", () => {
  it("lists a worktree's committed, uncommitted and untracked changes since its fork point", async () => {
    const { base, a } = await makeTwoTasks();
    expect(await listWorktreeChanges(a, base)).toEqual([]);
    await writeFile(path.join(a, "f.txt"), TEXT.replace("one", "ONE"));
    await commitAll(a, "a");
    await runGit(a, ["mv", "g.txt", "moved g.txt"]);
    await writeFile(path.join(a, "new.txt"), "new\n");

    expect(await listWorktreeChanges(a, base)).toEqual([
      "f.txt",
      "g.txt",
      "moved g.txt",
      "new.txt",
    ]);
  });

  it("says two changes can conflict only when they share a path or one's path is the other's directory", () => {
    expect(canChangesConflict(["a.txt"], ["b.txt"])).toBe(false);
    expect(canChangesConflict([], ["b.txt"])).toBe(false);
    expect(canChangesConflict(["src/a.ts", "b.txt"], ["b.txt"])).toBe(true);
    expect(canChangesConflict(["lib"], ["lib/x.ts"])).toBe(true);
    expect(canChangesConflict(["lib/x/y.ts"], ["lib/x"])).toBe(true);
    expect(canChangesConflict(["lib/x.ts"], ["lib/y.ts", "libx"])).toBe(false);
  });
});

describe("snapshotTreeIfChanged", () => {
  it("reuses the last snapshot while the checkout looks the same, and sees an edit to an already-changed file", async () => {
    const { repo } = await makeTwoTasks();
    await writeFile(path.join(repo, "f.txt"), "dirty\n");
    const first = await snapshotTreeIfChanged(repo);

    const again = await countSpawns(() => snapshotTreeIfChanged(repo));
    expect(again.result).toBe(first);
    // One look (git status), no new snapshot (three more git calls).
    expect(again.spawns).toEqual(["git"]);

    // Same `git status` line for f.txt, same size, new content: its times tell.
    await writeFile(path.join(repo, "f.txt"), "DIRTY\n");
    const second = await snapshotTreeIfChanged(repo);
    expect(second).not.toBe(first);
    expect(second).toBe(await snapshotTree(repo));
  });
});
