import { describe, expect, it } from "vitest";
import { commitOnBranch, makeGitRepo } from "../../test/helpers/git-repo.js";
import { getHead, runGit } from "./git.js";
import { isChangeMerged, parseMergeTreeOutput, runMergeTree } from "./merge-tree.js";

const TEXT = "one\ntwo\nthree\nfour\nfive\n";

describe("parseMergeTreeOutput", () => {
  it("reads the tree, each conflicted path once, and the CONFLICT messages", () => {
    const output = [
      "cbe1ae462557c2924596e2d9c5d8bb05c09af2d5",
      "z.txt",
      "a\nb.txt",
      "",
      "1",
      "z.txt",
      "Auto-merging",
      "Auto-merging z.txt\n",
      "1",
      "z.txt",
      "CONFLICT (contents)",
      "CONFLICT (content): Merge conflict in z.txt\n",
      "2",
      "a\nb.txt",
      "c.txt",
      "CONFLICT (rename/delete)",
      "CONFLICT (rename/delete): a\nb.txt renamed to c.txt\n",
      "",
    ].join("\0");

    expect(parseMergeTreeOutput(output, true)).toEqual({
      kind: "conflicted",
      tree: "cbe1ae462557c2924596e2d9c5d8bb05c09af2d5",
      files: ["a\nb.txt", "z.txt"],
      detail:
        "CONFLICT (content): Merge conflict in z.txt\nCONFLICT (rename/delete): a\nb.txt renamed to c.txt",
    });
    expect(parseMergeTreeOutput("7be5f1876d7a98455fa7c34767c1037969872a87\0", false)).toEqual({
      kind: "clean",
      tree: "7be5f1876d7a98455fa7c34767c1037969872a87",
    });
  });
});

describe("runMergeTree", () => {
  it("names conflicted files exactly, a space or a newline in the name included", async () => {
    const repo = await makeGitRepo();
    const base = await commitOnBranch(repo, "main", await getHead(repo), {
      "two words.txt": TEXT,
      "new\nline.txt": TEXT,
    });
    const edit = (word: string): Record<string, string> => ({
      "two words.txt": TEXT.replace("three", word),
      "new\nline.txt": TEXT.replace("three", word),
    });
    const ours = await commitOnBranch(repo, "ours", base, edit("THREE"));
    const theirs = await commitOnBranch(repo, "theirs", base, edit("3"));

    const merge = await runMergeTree(repo, { ours, theirs });

    expect(merge).toMatchObject({ kind: "conflicted", files: ["new\nline.txt", "two words.txt"] });
    expect(merge.kind === "conflicted" ? merge.detail : "").toContain(
      "CONFLICT (content): Merge conflict in two words.txt",
    );
  });

  it("merges trees with an explicit base, the same stand-in commits every time", async () => {
    const repo = await makeGitRepo();
    const base = await commitOnBranch(repo, "main", await getHead(repo), { "f.txt": TEXT });
    const a = await commitOnBranch(repo, "a", base, { "f.txt": TEXT.replace("one", "ONE") });
    const b = await commitOnBranch(repo, "b", base, { "f.txt": TEXT.replace("five", "FIVE") });
    const tree = async (rev: string): Promise<string> =>
      (await runGit(repo, ["rev-parse", `${rev}^{tree}`])).trim();
    const objectCount = async (): Promise<string> => runGit(repo, ["count-objects"]);

    const first = await runMergeTree(repo, {
      base: await tree(base),
      ours: await tree(a),
      theirs: await tree(b),
    });
    const objectsAfterFirst = await objectCount();
    const second = await runMergeTree(repo, { base, ours: a, theirs: b });

    expect(first.kind).toBe("clean");
    expect(second).toEqual(first);
    expect(await objectCount()).toBe(objectsAfterFirst);
    expect(await runGit(repo, ["cat-file", "-p", `${first.tree}:f.txt`])).toBe(
      "ONE\ntwo\nthree\nfour\nFIVE",
    );
  });
});

describe("isChangeMerged", () => {
  /** main at `fork`, a task branch with one change to f.txt, and the id of each. */
  async function makeTask(): Promise<{ repo: string; fork: string; task: string }> {
    const repo = await makeGitRepo();
    const fork = await commitOnBranch(repo, "main", await getHead(repo), { "f.txt": TEXT });
    const task = await commitOnBranch(repo, "task", fork, {
      "f.txt": TEXT.replace("two", "TWO"),
      "added.txt": "added\n",
    });
    return { repo, fork, task };
  }

  it("is false while the change is not in the target", async () => {
    const { repo, fork, task } = await makeTask();
    const other = await commitOnBranch(repo, "main", fork, { "other.txt": "x\n" });
    expect(await isChangeMerged(repo, { base: fork, branch: task, target: other })).toBe(false);
  });

  it("is true for a squash of the change, even with other work on top, though no commit of the branch is in the target", async () => {
    const { repo, fork, task } = await makeTask();
    // Its own message: the same tree, parent and message within one second would be the same commit.
    const squash = await commitOnBranch(
      repo,
      "main",
      fork,
      { "f.txt": TEXT.replace("two", "TWO"), "added.txt": "added\n" },
      "squash of task",
    );
    const later = await commitOnBranch(repo, "main", squash, {
      "f.txt": TEXT.replace("two", "TWO").replace("five", "FIVE"),
    });
    expect(await runGit(repo, ["branch", "--contains", task])).not.toContain("main");
    expect(await isChangeMerged(repo, { base: fork, branch: task, target: later })).toBe(true);
  });

  it("is false for a change whose commits are in the target's history but that was reverted", async () => {
    const { repo, fork, task } = await makeTask();
    const merged = (
      await runGit(repo, [
        "commit-tree",
        `${task}^{tree}`,
        "-p",
        fork,
        "-p",
        task,
        "-m",
        "merge task",
      ])
    ).trim();
    const reverted = await commitOnBranch(repo, "main", merged, {
      "f.txt": TEXT,
      "added.txt": null,
    });

    expect(await isChangeMerged(repo, { base: fork, branch: task, target: merged })).toBe(true);
    expect(await isChangeMerged(repo, { base: fork, branch: task, target: reverted })).toBe(false);
  });

  it("is true for an empty change, and false when the target rewrote the same lines since", async () => {
    const { repo, fork, task } = await makeTask();
    const rewritten = await commitOnBranch(repo, "main", fork, {
      "f.txt": TEXT.replace("two", "deux"),
      "added.txt": "added\n",
    });
    expect(await isChangeMerged(repo, { base: fork, branch: fork, target: rewritten })).toBe(true);
    expect(await isChangeMerged(repo, { base: fork, branch: task, target: rewritten })).toBe(false);
  });
});
