/** The scheduler's measurements of running tasks' changes (change-measurer.ts). */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { countSpawns } from "../../../test/helpers/count-spawns.js";
import { commitOnBranch, makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { createRunIndex, indexRunEvent } from "../../store/run-index.js";
import type { RunEvent } from "../../store/schema/events.js";
import { getHead } from "../../workspace/git.js";
import { createWorktree } from "../../workspace/worktree.js";
import { AT_WORK_LOOK_MS, createChangeMeasurer } from "./change-measurer.js";

type EventInput = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, "seq" | "ts">
    : never
  : never;

describe("createChangeMeasurer", () => {
  it("looks again only after a worker started or ended, and about once a second while one works", async () => {
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

    const look = (): Promise<{ result: string[]; spawns: string[] }> =>
      countSpawns(() => measurer.measure("a", dir));
    const git = ["git"];

    expect(await look()).toEqual({ result: [], spawns: [] });
    journal({ type: "worktree.created", taskId: "a", dir, branch: "bosun/r1/a", base });
    journal({ type: "round.started", taskId: "a", round: 1, head: base });
    expect(await look()).toEqual({ result: [], spawns: git });
    // No worker has worked since: the look stands.
    expect(await look()).toEqual({ result: [], spawns: [] });

    journal({ type: "dispatch.started", ...dispatch });
    await writeFile(path.join(dir, "new.txt"), "new\n");
    expect(await look()).toEqual({ result: ["new.txt"], spawns: git });
    // The worker is at work: a look stands for a second, then it is taken again.
    await writeFile(path.join(dir, "f.txt"), "changed\n");
    expect(await look()).toEqual({ result: ["new.txt"], spawns: [] });
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + AT_WORK_LOOK_MS);
      expect(await look()).toEqual({ result: ["f.txt", "new.txt"], spawns: git });
    } finally {
      vi.useRealTimers();
    }

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
    // The worker ended: one look, which then stands through the task's gates and critic.
    expect(await look()).toEqual({ result: ["f.txt", "new.txt"], spawns: git });
    journal({ type: "checkpoint.started", taskId: "a", round: 1 });
    expect(await look()).toEqual({ result: ["f.txt", "new.txt"], spawns: [] });
    measurer.forget("a");
    expect((await look()).spawns).toEqual(git);
  });
});
