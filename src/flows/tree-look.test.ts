import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countSpawns } from "../../test/helpers/count-spawns.js";
import { makeGitRepo, makeOutsideDir } from "../../test/helpers/git-repo.js";
import { createBosunPaths } from "../store/paths.js";
import { createRunIndex } from "../store/run-index.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import { RunEventSchema } from "../store/schema/events.js";
import { getHead } from "../workspace/git.js";
import type { RunContext } from "./flow-context.js";
import { lookAtTree } from "./round-head.js";
import { FRESH_MS, TreeLooks } from "./tree-look.js";
import { runVerifyCommand } from "./verify.js";

describe("TreeLooks", () => {
  it("gives a look back until it is forgotten or older than FRESH_MS, per directory", () => {
    let nowMs = 1000;
    const looks = new TreeLooks(() => nowMs);
    looks.note("/a", { head: "h1", dirty: [] });
    looks.note("/b", { head: "h2", dirty: undefined });

    expect(looks.getFresh("/a")).toEqual({ head: "h1", dirty: [] });
    looks.forget("/a");
    expect(looks.getFresh("/a")).toBeUndefined();
    nowMs += FRESH_MS;
    expect(looks.getFresh("/b")).toEqual({ head: "h2", dirty: undefined });
    nowMs += 1;
    expect(looks.getFresh("/b")).toBeUndefined();
  });
});

describe("TreeLooks.noteClean", () => {
  it("records a clean tree, but not one with submodules (their checkouts stay dirty through a commit)", async () => {
    const [plain, withSubmodules] = [await makeOutsideDir(), await makeOutsideDir()];
    await writeFile(path.join(withSubmodules, ".gitmodules"), "");
    const looks = new TreeLooks();

    looks.noteClean(plain, "h1");
    looks.noteClean(withSubmodules, "h1");

    expect(looks.getFresh(plain)).toEqual({ head: "h1", dirty: [] });
    expect(looks.getFresh(withSubmodules)).toBeUndefined();
  });
});

function makeContext(repo: string, looks: TreeLooks | undefined): RunContext {
  return {
    paths: createBosunPaths(repo),
    config: DEFAULT_CONFIG,
    runId: "r1",
    state: createRunIndex(),
    record: (event) => Promise.resolve(RunEventSchema.parse({ ...event, seq: 1, ts: "t" })),
    emit: () => undefined,
    ...(looks === undefined ? {} : { looks }),
  };
}

describe("lookAtTree", () => {
  it("asks git once, then answers from the look until something may have written the tree", async () => {
    const repo = await makeGitRepo();
    const ctx = makeContext(repo, new TreeLooks());

    const first = await countSpawns(() => lookAtTree(ctx, repo));
    const again = await countSpawns(() => lookAtTree(ctx, repo));

    expect(first).toEqual({ result: { head: await getHead(repo), dirty: [] }, spawns: ["git"] });
    expect(again).toEqual({ result: first.result, spawns: [] });
  });

  it("asks git every time in a run that keeps no looks (a review, in the user's checkout)", async () => {
    const repo = await makeGitRepo();
    const ctx = makeContext(repo, undefined);
    await lookAtTree(ctx, repo);
    await writeFile(path.join(repo, "new.txt"), "x\n");

    expect(await countSpawns(() => lookAtTree(ctx, repo))).toMatchObject({
      result: { dirty: ["new.txt"] },
      spawns: ["git"],
    });
  });

  it("sees what the project's tests wrote: a verify run forgets the look", async () => {
    const repo = await makeGitRepo();
    const ctx = makeContext(repo, new TreeLooks());
    await lookAtTree(ctx, repo);

    await runVerifyCommand(
      ctx,
      { cwd: repo, taskId: "t1", timeoutSec: 60, resumeCommand: "bosun run --resume r1" },
      "echo out > made-by-tests.txt",
      path.join(await makeOutsideDir(), "verify.log"),
    );

    expect((await lookAtTree(ctx, repo)).dirty).toEqual(["made-by-tests.txt"]);
  });
});
