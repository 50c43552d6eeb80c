/** The scheduler's measurements of running tasks' changes (change-measurer.ts). */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countSpawns } from "../../../test/helpers/count-spawns.js";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { createRunIndex, indexRunEvent } from "../../store/run-index.js";
import type { RunEvent } from "../../store/schema/events.js";
import { getHead } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import { createChangeMeasurer } from "./change-measurer.js";

type EventInput = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, "seq" | "ts">
    : never
  : never;

describe("createChangeMeasurer", () => {
  it("measures again only after the task journaled something, and always while its worker works", async () => {
    const repo = await makeGitRepo();
    const base = await commitOnBranch(repo, "bosun/r1/integration", await getHead(repo), {
      "f.txt": "f\n",
    });
    const dir = (
      await createWorktree(repo, path.join(await makeOutsideDir(), "a"), "bosun/r1/a", base)
    ).dir;
    const index = createRunIndex();
    let seq = 0;
    const journal = (event: EventInput): void =>
      indexRunEvent(index, { ...event, seq: ++seq, ts: new Date(0).toISOString() });
    const measurer = createChangeMeasurer(index);
    const dispatch = {
      taskId: "a",
      round: 1,
      seat: "worker",
      harness: "offline",
      attempt: 1,
    } as const;

    expect(await measurer.measure("a", dir)).toEqual([]);
    journal({ type: "worktree.created", taskId: "a", dir, branch: "bosun/r1/a", base });
    journal({ type: "round.started", taskId: "a", round: 1, head: base });
    journal({ type: "dispatch.started", ...dispatch });
    await writeFile(path.join(dir, "new.txt"), "new\n");
    // The worker is at work: every look is a real one.
    expect(await measurer.measure("a", dir)).toEqual(["new.txt"]);
    await writeFile(path.join(dir, "f.txt"), "changed\n");
    expect(await countSpawns(() => measurer.measure("a", dir))).toEqual({
      result: ["f.txt", "new.txt"],
      spawns: ["git"],
    });
    journal({
      type: "dispatch.completed",
      ...dispatch,
      head: base,
      exitCode: 0,
      costUsd: 0,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      durationMs: 1,
      spawns: 1,
    });
    expect(await measurer.measure("a", dir)).toEqual(["f.txt", "new.txt"]);

    // Nothing journaled since: the measurement stands, no git call.
    const kept = await countSpawns(() => measurer.measure("a", dir));
    expect(kept).toEqual({ result: ["f.txt", "new.txt"], spawns: [] });

    // Something of the task was journaled: a new look.
    journal({ type: "checkpoint.started", taskId: "a", round: 1 });
    const after = await countSpawns(() => measurer.measure("a", dir));
    expect(after.spawns).toEqual(["git"]);
    measurer.forget("a");
    expect((await countSpawns(() => measurer.measure("a", dir))).spawns).toEqual(["git"]);
  });
});
