import { mkdir, readFile, readdir, realpath, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTempGitRepo } from "../../test/helpers/agent-env.js";
import { countSpawns } from "../../test/helpers/count-spawns.js";
import {
  commitAll,
  commitChanges,
  getCheckoutRoots,
  getHead,
  isAncestor,
  listChangedFiles,
  listCommits,
  listDirtyFiles,
  readWorktreeStatus,
  readRef,
  resolveRevisions,
  runGit,
  runGitBuffer,
  runGitExact,
  snapshotWorkingTree,
  splitNulFields,
  writeWorkingTree,
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
describe("runGitExact and runGitBuffer", () => {
  it("return a CRLF file's content and diff byte for byte, where runGit drops the CRs", async () => {
    const repo = await makeRepo();
    await runGit(repo, ["config", "core.autocrlf", "false"]);
    await writeFile(path.join(repo, "crlf.txt"), "one\r\ntwo\r\n");
    const first = (await commitAll(repo, "crlf")) ?? "";
    await writeFile(path.join(repo, "crlf.txt"), "one\r\nTWO\r\n");
    const second = (await commitAll(repo, "edit")) ?? "";

    const blob = await runGitExact(repo, ["cat-file", "-p", `${first}:crlf.txt`]);
    const diff = await runGitExact(repo, ["diff", first, second]);
    const bytes = await runGitBuffer(repo, ["cat-file", "-p", `${second}:crlf.txt`]);

    expect(blob).toBe("one\r\ntwo\r\n");
    expect(diff).toContain("-two\r\n+TWO\r\n");
    expect(bytes).toEqual({ stdout: Buffer.from("one\r\nTWO\r\n"), exitCode: 0 });
    expect(await runGit(repo, ["cat-file", "-p", `${first}:crlf.txt`])).toBe("one\ntwo");
  });

  it("accept only the exit codes given, and refuse output over maxBytes instead of cutting it", async () => {
    const repo = await makeRepo();
    const head = await getHead(repo);
    await writeFile(path.join(repo, "a.txt"), "a\n");
    const later = (await commitAll(repo, "add a")) ?? "";
    const isAncestorArgs = ["merge-base", "--is-ancestor", later, head];

    const answer = await runGitBuffer(repo, isAncestorArgs, { exitCodes: [0, 1] });

    expect(answer.exitCode).toBe(1);
    await expect(runGitBuffer(repo, isAncestorArgs)).rejects.toThrow(/merge-base --is-ancestor/);
    await expect(runGitExact(repo, ["cat-file", "-p", "nope"])).rejects.toThrow(
      /git cat-file -p nope failed/,
    );
    await expect(
      runGitExact(repo, ["cat-file", "-p", `${head}:README.md`], { maxBytes: 4 }),
    ).rejects.toThrow(/wrote more than 4 bytes/);
  });
});

describe("splitNulFields", () => {
  it("splits NUL-terminated fields, keeping empty ones inside and newlines in names", () => {
    expect(splitNulFields("")).toEqual([]);
    expect(splitNulFields("a\0b\nc\0\0d\0")).toEqual(["a", "b\nc", "", "d"]);
    expect(splitNulFields("a\0b")).toEqual(["a", "b"]);
  });
});

describe("listDirtyFiles", () => {
  it("lists names with spaces and quotes exactly, and both sides of a rename", async () => {
    const repo = await makeRepo();
    await writeFile(path.join(repo, "old name.txt"), "x\n");
    await commitAll(repo, "add");
    await runGit(repo, ["mv", "old name.txt", "new name.txt"]);
    await writeFile(path.join(repo, 'say "hi".txt'), "y\n");
    await writeFile(path.join(repo, "README.md"), "changed\n");
    await mkdir(path.join(repo, ".bosun"), { recursive: true });
    await writeFile(path.join(repo, ".bosun", "state.json"), "{}\n");

    const files = await listDirtyFiles(repo);

    expect(files.sort()).toEqual(["README.md", "new name.txt", "old name.txt", 'say "hi".txt']);
  });

  it("is empty for a clean tree", async () => {
    expect(await listDirtyFiles(await makeRepo())).toEqual([]);
  });
});

/** A committed file, then a rename of it (staged), an edit and a new file. */
async function makeChanges(): Promise<{ repo: string; before: string }> {
  const repo = await makeRepo();
  await writeFile(path.join(repo, "a b.txt"), "x\n");
  await commitAll(repo, "add");
  await runGit(repo, ["mv", "a b.txt", "c d.txt"]);
  await writeFile(path.join(repo, "README.md"), "changed\n");
  await writeFile(path.join(repo, "new.txt"), "new\n");
  return { repo, before: await getHead(repo) };
}

/** The paths `makeChanges` changes, as git sorts them. */
const FILES = ["README.md", "a b.txt", "c d.txt", "new.txt"];

describe("commitChanges", () => {
  it("commits everything and lists a rename as both of its paths, as listChangedFiles does", async () => {
    const { repo, before } = await makeChanges();

    const made = await commitChanges(repo, "checkpoint");

    expect(made).toEqual({ commit: await getHead(repo), parent: before, files: FILES });
    expect(await listChangedFiles(repo, before, made?.commit ?? "")).toEqual(FILES);
    expect(await listDirtyFiles(repo)).toEqual([]);
  });

  it("names odd paths exactly (a quote, a tab, a newline), in the commit's list and listChangedFiles alike", async () => {
    const repo = await makeRepo();
    const before = await getHead(repo);
    const odd = ['say "hi".txt', "tab\there.txt", "new\nline.txt"];
    for (const name of odd) await writeFile(path.join(repo, name), "x\n");

    const made = await commitChanges(repo, "odd names");

    expect(made?.files).toEqual([...odd].sort());
    expect(await listChangedFiles(repo, before, made?.commit ?? "")).toEqual(made?.files);
  });

  it("asks git nothing when bosun's fresh status found nothing uncommitted", async () => {
    const { repo } = await makeChanges();
    const made = await commitChanges(repo, "checkpoint", await readWorktreeStatus(repo));

    const clean = await countSpawns(() =>
      commitChanges(repo, "again", { head: made?.commit ?? "", dirty: [] }),
    );

    expect(made?.files).toEqual(FILES);
    expect(clean).toEqual({ result: null, spawns: [] });
  });
});

describe("readWorktreeStatus", () => {
  it("gives HEAD and the uncommitted paths in one call, and names a repository with no commit", async () => {
    const { repo } = await makeChanges();

    const status = await readWorktreeStatus(repo);

    expect(status.head).toBe(await getHead(repo));
    expect(status.dirty.sort()).toEqual(FILES);
    const empty = await makeRepo();
    await rm(path.join(empty, ".git"), { recursive: true });
    await runGit(empty, ["init", "-q"]);
    await expect(readWorktreeStatus(empty)).rejects.toThrow(/no commits yet/);
    expect(await listDirtyFiles(empty)).toContain("README.md");
  });
});

describe("writeWorkingTree", () => {
  it("writes the tree of what is on disk, staged and untracked work included, leaving the index alone", async () => {
    const repo = await makeRepo();
    await writeFile(path.join(repo, "README.md"), "edited\n");
    await writeFile(path.join(repo, "staged.txt"), "staged\n");
    await runGit(repo, ["add", "staged.txt"]);
    await writeFile(path.join(repo, "new.txt"), "untracked\n");
    await writeFile(path.join(repo, ".gitignore"), "ignored.txt\n");
    await writeFile(path.join(repo, "ignored.txt"), "ignored\n");
    const indexBefore = await readFile(path.join(repo, ".git", "index"));
    const statusBefore = await runGit(repo, ["status", "--porcelain"]);

    const tree = await writeWorkingTree(repo);

    expect((await runGit(repo, ["ls-tree", "--name-only", tree])).split("\n")).toEqual([
      ".gitignore",
      "README.md",
      "new.txt",
      "staged.txt",
    ]);
    expect(await runGitExact(repo, ["cat-file", "-p", `${tree}:README.md`])).toBe("edited\n");
    expect(await readFile(path.join(repo, ".git", "index"))).toEqual(indexBefore);
    expect(await runGit(repo, ["status", "--porcelain"])).toBe(statusBefore);
    expect(
      (await readdir(path.join(repo, ".git"))).filter((name) => name.startsWith("bosun-")),
    ).toEqual([]);
  });

  it("sees a same-size edit made in the second the index was written (racily clean)", async () => {
    const repo = await makeRepo();
    const file = path.join(repo, "f.txt");
    const index = path.join(repo, ".git", "index");
    const past = new Date("2020-01-01T00:00:00Z");
    // Deterministic: no ctime check, and every time set to one second, as a fast edit leaves it.
    await runGit(repo, ["config", "core.trustctime", "false"]);
    await writeFile(file, "aaaa\n");
    await utimes(file, past, past);
    await runGit(repo, ["add", "f.txt"]);
    await writeFile(file, "bbbb\n");
    await utimes(file, past, past);
    // The index as written in that same second (a plain `git status` here would rewrite it).
    await utimes(index, past, past);

    const tree = await writeWorkingTree(repo);

    expect(await runGitExact(repo, ["cat-file", "-p", `${tree}:f.txt`])).toBe("bbbb\n");
  });

  it("keeps a deleted tracked file out of the tree, and works before the first commit", async () => {
    const repo = await makeRepo();
    await rm(path.join(repo, "README.md"));
    await writeFile(path.join(repo, "only.txt"), "only\n");
    expect(await runGit(repo, ["ls-tree", "--name-only", await writeWorkingTree(repo)])).toBe(
      "only.txt",
    );

    const empty = await makeRepo();
    await rm(path.join(empty, ".git"), { recursive: true, force: true });
    await runGit(empty, ["init", "-q"]);
    expect(await runGit(empty, ["ls-tree", "--name-only", await writeWorkingTree(empty)])).toBe(
      "README.md",
    );
  });
});

describe("resolveRevisions and readRef", () => {
  it("resolve several revisions in one call, and say which ref does not exist", async () => {
    const repo = await makeRepo();
    const head = await getHead(repo);
    const tree = (await runGit(repo, ["rev-parse", "HEAD^{tree}"])).trim();

    expect(await resolveRevisions(repo, ["main", "HEAD^{tree}"])).toEqual([head, tree]);
    await expect(resolveRevisions(repo, ["main", "nope"])).rejects.toThrow(
      /Cannot resolve main, nope/,
    );
    await expect(resolveRevisions(repo, ["--all"])).rejects.toThrow(/not a revision/);
    expect(await readRef(repo, "refs/heads/main")).toBe(head);
    expect(await readRef(repo, "refs/heads/nope")).toBeNull();
  });
});
