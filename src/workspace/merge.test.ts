import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../test/helpers/git-repo.js";
import { countSpawns } from "../../test/helpers/count-spawns.js";
import { getHead, readRef, runGit } from "./git.js";
import { mergeBranch, revertMerge } from "./merge.js";

// Not refs/heads/bosun/r1: git cannot hold that ref next to the tasks' refs/heads/bosun/r1/<task>.
const TARGET = "refs/heads/bosun/r1/integration";
const TEXT = "one\ntwo\nthree\nfour\nfive\n";

/** A repo whose integration branch bosun/r1/integration holds f.txt, and two task branches cut from it. */
async function makeRun(): Promise<{ repo: string; fork: string; t1: string; t2: string }> {
  const repo = await makeGitRepo();
  const fork = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
    "f.txt": TEXT,
  });
  const t1 = await commitOnBranch(repo, "bosun/r1/t1", fork, {
    "f.txt": TEXT.replace("one", "ONE"),
  });
  const t2 = await commitOnBranch(repo, "bosun/r1/t2", fork, {
    "f.txt": TEXT.replace("five", "FIVE"),
  });
  return { repo, fork, t1, t2 };
}

async function readBlob(repo: string, commit: string, file: string): Promise<string> {
  return runGit(repo, ["cat-file", "-p", `${commit}:${file}`]);
}

describe("mergeBranch", () => {
  it("merges with a two-parent commit and moves only the target ref, touching no checkout", async () => {
    const { repo, fork, t1 } = await makeRun();
    const head = await getHead(repo);
    const status = await runGit(repo, ["status", "--porcelain"]);

    const result = await mergeBranch(repo, {
      target: TARGET,
      source: "bosun/r1/t1",
      expectedOld: fork,
      message: "bosun: merge t1",
      author: { name: "Task Worker", email: "worker@example.com" },
    });

    expect(result).toMatchObject({ kind: "merged", isAlreadyMerged: false });
    const commit = result.kind === "merged" ? result.commit : "";
    expect(await readRef(repo, TARGET)).toBe(commit);
    expect(await runGit(repo, ["log", "-1", "--format=%P|%an <%ae>|%s", commit])).toBe(
      `${fork} ${t1}|Task Worker <worker@example.com>|bosun: merge t1`,
    );
    expect(await readBlob(repo, commit, "f.txt")).toBe("ONE\ntwo\nthree\nfour\nfive");
    expect(await getHead(repo)).toBe(head);
    expect(await runGit(repo, ["status", "--porcelain"])).toBe(status);
  });

  it("resolves nothing when given full ids and the old head's tree (what it returned for its last merge)", async () => {
    const { repo, fork, t1, t2 } = await makeRun();
    const first = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: fork,
      message: "t1",
    });
    const [tip, tree] = first.kind === "merged" ? [first.commit, first.tree] : ["", ""];
    expect(tree).toBe((await runGit(repo, ["rev-parse", `${tip}^{tree}`])).trim());

    const { result, spawns } = await countSpawns(() =>
      mergeBranch(repo, {
        target: TARGET,
        source: t2,
        expectedOld: tip,
        expectedOldTree: tree,
        message: "t2",
      }),
    );

    expect(result).toMatchObject({ kind: "merged", isAlreadyMerged: false });
    // merge-tree, commit-tree, update-ref: no rev-parse first.
    expect(spawns).toEqual(["git", "git", "git"]);
    const commit = result.kind === "merged" ? result.commit : "";
    expect(await readBlob(repo, commit, "f.txt")).toBe("ONE\ntwo\nthree\nfour\nFIVE");
  });

  it("merges tasks one after another into the integration branch", async () => {
    const { repo, fork, t1, t2 } = await makeRun();
    const first = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: fork,
      message: "t1",
    });
    const firstCommit = first.kind === "merged" ? first.commit : "";

    const second = await mergeBranch(repo, {
      target: TARGET,
      source: t2,
      expectedOld: firstCommit,
      message: "t2",
    });

    expect(second.kind).toBe("merged");
    expect(await readBlob(repo, TARGET, "f.txt")).toBe("ONE\ntwo\nthree\nfour\nFIVE");
  });

  it("reports conflicted files and git's messages, writing nothing", async () => {
    const { repo, fork, t1 } = await makeRun();
    const rival = await commitOnBranch(repo, "bosun/r1/t3", fork, {
      "f.txt": TEXT.replace("one", "uno"),
    });
    await mergeBranch(repo, { target: TARGET, source: t1, expectedOld: fork, message: "t1" });
    const tip = await readRef(repo, TARGET);

    const result = await mergeBranch(repo, {
      target: TARGET,
      source: rival,
      expectedOld: tip ?? "",
      message: "t3",
    });

    expect(result).toEqual({
      kind: "conflicted",
      files: ["f.txt"],
      detail: "CONFLICT (content): Merge conflict in f.txt",
    });
    expect(await readRef(repo, TARGET)).toBe(tip);
  });

  it("is stale, writing nothing, when the target is not where the caller expects", async () => {
    const { repo, fork, t1, t2 } = await makeRun();
    await mergeBranch(repo, { target: TARGET, source: t1, expectedOld: fork, message: "t1" });
    const tip = await readRef(repo, TARGET);
    const refsBefore = await runGit(repo, ["for-each-ref"]);

    const result = await mergeBranch(repo, {
      target: TARGET,
      source: t2,
      expectedOld: fork,
      message: "t2",
    });

    expect(result).toEqual({ kind: "stale", actual: tip });
    expect(await runGit(repo, ["for-each-ref"])).toBe(refsBefore);
  });

  it("lets exactly one of two racing merges from the same tip win (compare-and-swap)", async () => {
    const { repo, fork, t1, t2 } = await makeRun();

    const results = await Promise.all([
      mergeBranch(repo, { target: TARGET, source: t1, expectedOld: fork, message: "t1" }),
      mergeBranch(repo, { target: TARGET, source: t2, expectedOld: fork, message: "t2" }),
    ]);

    const merged = results.filter((result) => result.kind === "merged");
    const stale = results.filter((result) => result.kind === "stale");
    expect(merged).toHaveLength(1);
    expect(stale).toHaveLength(1);
    expect(await readRef(repo, TARGET)).toBe(merged[0]?.kind === "merged" ? merged[0].commit : "");
    expect(stale[0]).toEqual({ kind: "stale", actual: await readRef(repo, TARGET) });
  });

  it("writes no second commit for a source already in the target (asked again after a crash)", async () => {
    const { repo, fork, t1 } = await makeRun();
    const first = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: fork,
      message: "t1",
    });
    const tip = first.kind === "merged" ? first.commit : "";

    const again = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: tip,
      message: "t1",
    });

    expect(again).toEqual({
      kind: "merged",
      commit: tip,
      tree: first.kind === "merged" ? first.tree : "",
      isAlreadyMerged: true,
    });
    expect(await readRef(repo, TARGET)).toBe(tip);
  });

  it("refuses a target checked out in a worktree, and a target that is not a full ref", async () => {
    const { repo, fork, t1 } = await makeRun();
    const dir = path.join(await makeOutsideDir(), "integration");
    await runGit(repo, ["worktree", "add", "-q", dir, "bosun/r1/integration"]);

    await expect(
      mergeBranch(repo, { target: TARGET, source: t1, expectedOld: fork, message: "t1" }),
    ).rejects.toThrow(
      /refs\/heads\/bosun\/r1\/integration is checked out in .*integration; .*switch --detach/,
    );
    await expect(
      mergeBranch(repo, {
        target: "bosun/r1/integration",
        source: t1,
        expectedOld: fork,
        message: "t1",
      }),
    ).rejects.toThrow(/not a full ref name/);
    expect(await readRef(repo, TARGET)).toBe(fork);
    expect(await readFile(path.join(dir, "f.txt"), "utf8")).toBe(TEXT);
  });
});

describe("revertMerge", () => {
  async function makeMerged(): Promise<{
    repo: string;
    fork: string;
    t1: string;
    t2: string;
    merge: string;
  }> {
    const run = await makeRun();
    const result = await mergeBranch(run.repo, {
      target: TARGET,
      source: run.t1,
      expectedOld: run.fork,
      message: "t1",
    });
    return { ...run, merge: result.kind === "merged" ? result.commit : "" };
  }

  it("moves the target back when the merge is its tip, keeping the merge reachable under a ref", async () => {
    const { repo, fork, t1, merge } = await makeMerged();

    const result = await revertMerge(repo, {
      target: TARGET,
      mergeCommit: merge,
      expectedOld: merge,
    });

    expect(result).toEqual({
      kind: "reverted",
      commit: fork,
      method: "reset",
      keptRef: `refs/bosun/reverted/bosun/r1/integration/${merge}`,
    });
    expect(await readRef(repo, TARGET)).toBe(fork);
    expect(await readRef(repo, `refs/bosun/reverted/bosun/r1/integration/${merge}`)).toBe(merge);
    // Undone this way, the task's branch merges again as if the first merge never happened.
    const again = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: fork,
      message: "t1",
    });
    expect(again).toMatchObject({ kind: "merged", isAlreadyMerged: false });
  });

  it("adds a revert commit when later merges sit on top, keeping them", async () => {
    const { repo, fork, t1, t2, merge } = await makeMerged();
    const later = await mergeBranch(repo, {
      target: TARGET,
      source: t2,
      expectedOld: merge,
      message: "t2",
    });
    const tip = later.kind === "merged" ? later.commit : "";

    const result = await revertMerge(repo, {
      target: TARGET,
      mergeCommit: merge,
      expectedOld: tip,
    });

    expect(result).toMatchObject({ kind: "reverted", method: "revert-commit", keptRef: null });
    const commit = result.kind === "reverted" ? result.commit : "";
    expect(await readRef(repo, TARGET)).toBe(commit);
    expect(await runGit(repo, ["log", "-1", "--format=%P %s", commit])).toBe(
      `${tip} Revert merge ${merge}`,
    );
    expect(await readBlob(repo, commit, "f.txt")).toBe("one\ntwo\nthree\nfour\nFIVE");
    // History says t1 is in, so only its fork point as the merge base brings the change back.
    const plain = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: commit,
      message: "t1",
    });
    expect(plain).toMatchObject({ kind: "merged", commit, isAlreadyMerged: true });
    const remerged = await mergeBranch(repo, {
      target: TARGET,
      source: t1,
      expectedOld: commit,
      message: "t1 again",
      mergeBase: fork,
    });
    expect(remerged).toMatchObject({ kind: "merged", isAlreadyMerged: false });
    expect(await readBlob(repo, TARGET, "f.txt")).toBe("ONE\ntwo\nthree\nfour\nFIVE");
  });

  it("reports a conflict with a later merge of the same lines, and is stale on a moved target", async () => {
    const { repo, t1, merge } = await makeMerged();
    const rewrite = await commitOnBranch(repo, "bosun/r1/t3", t1, {
      "f.txt": TEXT.replace("one", "1"),
    });
    const later = await mergeBranch(repo, {
      target: TARGET,
      source: rewrite,
      expectedOld: merge,
      message: "t3",
    });
    const tip = later.kind === "merged" ? later.commit : "";

    expect(
      await revertMerge(repo, { target: TARGET, mergeCommit: merge, expectedOld: tip }),
    ).toMatchObject({
      kind: "conflicted",
      files: ["f.txt"],
    });
    expect(
      await revertMerge(repo, { target: TARGET, mergeCommit: merge, expectedOld: merge }),
    ).toEqual({
      kind: "stale",
      actual: tip,
    });
    expect(await readRef(repo, TARGET)).toBe(tip);
  });

  it("refuses a merge commit that is not in the target's history", async () => {
    const { repo, t2, merge } = await makeMerged();
    await expect(
      revertMerge(repo, { target: TARGET, mergeCommit: t2, expectedOld: merge }),
    ).rejects.toThrow(/is not in the history of refs\/heads\/bosun\/r1\/integration/);
    expect(await readRef(repo, TARGET)).toBe(merge);
  });
});
