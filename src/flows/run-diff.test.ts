/**
 * A task's diff (`getTaskDiff`) over a real git repository and a hand-made team journal: its
 * checkpoints before it merges, what its merge brought in after, its checkpoints again once that
 * merge is reverted; and the run's diff cut at a size.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import type { RunEventInput } from "../store/schema/events.js";
import { runGit } from "../workspace/git.js";
import { commitOnBranch, makeGitRepo } from "../../test/helpers/git-repo.js";
import {
  TEAM_RUN_ID,
  makeJournal,
  makePlan,
  makePlanTask,
  makeTeamCreated,
  writeRunDir,
} from "../../test/helpers/team-run.js";
import { getRunDiff, getTaskDiff } from "./run-diff.js";

/** Commits of a task `a` (two rounds) and `b` (one), and a merge of `a` into integration. */
interface History {
  paths: BosunPaths;
  base: string;
  a1: string;
  a2: string;
  b1: string;
  mergeA: string;
}

async function makeHistory(): Promise<History> {
  const root = await makeGitRepo();
  const base = (await runGit(root, ["rev-parse", "HEAD"])).trim();
  const a1 = await commitOnBranch(root, "task-a", base, { "a.txt": "one\n" });
  const a2 = await commitOnBranch(root, "task-a", a1, { "a.txt": "one\ntwo\n" });
  const b1 = await commitOnBranch(root, "task-b", base, { "b.txt": "bee\n" });
  // The merge lands a.txt as the integration branch took it, distinct from a's checkpoints.
  const mergeA = await commitOnBranch(root, "integration", base, { "a.txt": "merged\n" });
  return { paths: createBosunPaths(root), base, a1, a2, b1, mergeA };
}

function checkpoint(taskId: string, round: number, parent: string, commit: string): RunEventInput {
  return { type: "checkpoint.created", taskId, round, parent, commit, filesChanged: [] };
}

async function writeJournal(h: History, inputs: RunEventInput[]): Promise<void> {
  const plan = makePlan([makePlanTask("a"), makePlanTask("b"), makePlanTask("c")]);
  const created = { ...makeTeamCreated(), baseCommit: h.base };
  await writeRunDir(h.paths, TEAM_RUN_ID, makeJournal([created, ...inputs]), plan);
}

describe("getTaskDiff", () => {
  it("before a merge: the task's checkpoints, first parent to last commit, and no other task's", async () => {
    const h = await makeHistory();
    await writeJournal(h, [
      checkpoint("a", 1, h.base, h.a1),
      checkpoint("b", 1, h.base, h.b1),
      checkpoint("a", 2, h.a1, h.a2),
      { type: "task.status", taskId: "c", status: "running" },
    ]);
    const { diff } = await getTaskDiff(h.paths, TEAM_RUN_ID, "a");
    expect(diff).toContain("+one\n+two");
    expect(diff).not.toContain("b.txt");
    // A task known to the journal that has not checkpointed yet has no change.
    expect(await getTaskDiff(h.paths, TEAM_RUN_ID, "c")).toEqual({ diff: "", outsideCommits: [] });
  });

  it("after its merge: what the merge brought in; after a revert of it: the checkpoints again", async () => {
    const h = await makeHistory();
    const merged: RunEventInput[] = [
      checkpoint("a", 1, h.base, h.a1),
      { type: "merge.completed", taskId: "a", commit: h.mergeA, previous: h.base },
    ];
    await writeJournal(h, merged);
    expect((await getTaskDiff(h.paths, TEAM_RUN_ID, "a")).diff).toContain("+merged");
    await writeJournal(h, [
      ...merged,
      { type: "merge.reverted", taskId: "a", commit: h.mergeA, restored: h.base, reason: "red" },
    ]);
    const { diff } = await getTaskDiff(h.paths, TEAM_RUN_ID, "a");
    expect(diff).toContain("+one");
    expect(diff).not.toContain("+merged");
  });

  it("refuses a task the journal never names, and cuts a long diff at maxBytes", async () => {
    const h = await makeHistory();
    await writeJournal(h, [checkpoint("a", 1, h.base, h.a2)]);
    await expect(getTaskDiff(h.paths, TEAM_RUN_ID, "zz")).rejects.toThrow(UsageError);
    await expect(getTaskDiff(h.paths, TEAM_RUN_ID, "zz")).rejects.toThrow(/no task "zz"/);
    const cut = await getTaskDiff(h.paths, TEAM_RUN_ID, "a", 20);
    expect(cut.diff).toContain("[diff cut at 20 bytes");
    expect(cut.diff).not.toContain("+two");
  });
});

describe("getRunDiff", () => {
  it("cuts the whole run's diff at maxBytes when asked to", async () => {
    const h = await makeHistory();
    await writeJournal(h, [
      { type: "merge.completed", taskId: "a", commit: h.mergeA, previous: h.base },
    ]);
    expect((await getRunDiff(h.paths, TEAM_RUN_ID)).diff).toContain("+merged");
    const run = await getRunDiff(h.paths, TEAM_RUN_ID, undefined, 20);
    expect(run.diff).toContain("[diff cut at 20 bytes");
    expect(run.diff).not.toContain("+merged");
  });
});
