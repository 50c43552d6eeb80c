/**
 * `bosun tell` end to end with the offline agent: a message written while a review run is paused
 * lands in the next worker prompt exactly once, journaled as `tell.delivered` before that
 * dispatch; a later resume does not deliver it again, even when the file's move was lost. In a
 * team run, a tell reaches the task it names, and a run-wide one a single worker.
 */
import { existsSync } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import {
  createOfflineRepo,
  filterEvents,
  type OfflineSteps,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import {
  APPROVE as CRITIC_APPROVE,
  RUN_OFFLINE,
  createTeamRepo,
  planThreeTasks,
} from "../helpers/team-repo.js";

const GOAL = "Add feature.txt containing the word feature.";
const MESSAGE = "Keep feature.txt to one line, and say FEATURE in capitals.";
const HEADING = "## Messages from the human, sent while you worked";

const report = (file: string): OfflineAction => ({
  report: { files_changed: [file], notes: `Edited ${file}.`, tests: [] },
});
const CHANGES_REQUIRED: OfflineAction = {
  report: {
    decision: "changes_required",
    blocking_issues: [{ severity: "high", file: "feature.txt", reason: "not yet" }],
  },
};
const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};

/** Three rounds: each worker changes a file, the reviewer wants more twice, then approves. */
const STEPS: OfflineSteps = [
  {
    role: "worker",
    round: 1,
    actions: [{ write: { path: "feature.txt", content: "feature\n" } }, report("feature.txt")],
  },
  { role: "reviewer", round: 1, actions: [CHANGES_REQUIRED] },
  {
    role: "worker",
    round: 2,
    actions: [
      { replace: { path: "feature.txt", find: "feature", with: "FEATURE" } },
      report("feature.txt"),
    ],
  },
  { role: "reviewer", round: 2, actions: [CHANGES_REQUIRED] },
  {
    role: "worker",
    round: 3,
    actions: [{ write: { path: "notes.txt", content: "done\n" } }, report("notes.txt")],
  },
  { role: "reviewer", round: 3, actions: [APPROVE] },
];

const REVIEW = ["review", "--goal", GOAL, "--worker", "offline", "--reviewer", "offline"];

const repos = useOfflineRepos();

describe("bosun tell", () => {
  it("delivers a message told to a paused run with the next worker prompt, once", async () => {
    const repo = await createOfflineRepo(STEPS);
    repos.push(repo);
    expect((await repo.runCli([...REVIEW, "--max-rounds", "5", "--single-round"])).exitCode).toBe(
      0,
    );
    const { runId } = await repo.readOnlyRun();

    // Refused: a task the review does not have, and an empty message.
    const wrongTask = await repo.runCli(["tell", runId, "--task", "T-9", MESSAGE]);
    expect(wrongTask.exitCode).toBe(2);
    expect(wrongTask.stderr).toContain(`works on task T-001 only`);
    expect((await repo.runCli(["tell", runId, "  "])).exitCode).toBe(2);

    const told = await repo.runCli(["tell", runId.slice(-4), "--task", "T-001", MESSAGE]);
    expectNoInternalError(told);
    expect(told.exitCode).toBe(0);
    expect(told.stdout).toContain("delivered with T-001's next worker prompt");
    expect(told.stdout).toContain(`bosun review --resume ${runId}`);
    const pending = await repo.runCli(["status", runId]);
    expect(pending.stdout).toMatch(/^tell {5}tell-\S+ for T-001, not delivered yet: Keep feature/m);

    // Round 2 takes it.
    expect((await repo.runCli(["review", "--resume", runId, "--single-round"])).exitCode).toBe(0);
    const round2 = await readFile(repo.getTaskFile(runId, "rounds/2/worker/prompt.md"), "utf8");
    expect(round2).toContain(HEADING);
    expect(round2).toContain(`> ${MESSAGE}`);
    const afterRound2 = (await repo.readOnlyRun()).events;
    const delivered = filterEvents(afterRound2, "tell.delivered");
    expect(delivered).toMatchObject([{ taskId: "T-001", round: 2, text: MESSAGE, source: "cli" }]);
    // Journaled before the worker's dispatch of that round.
    const workerStarted = filterEvents(afterRound2, "dispatch.started", {
      seat: "worker",
      round: 2,
    });
    expect(delivered[0]?.seq).toBeLessThan(workerStarted[0]?.seq ?? 0);
    const tellId = delivered[0]?.tellId ?? "";
    expect(existsSync(repo.paths.tellFile(tellId))).toBe(false);
    expect(existsSync(repo.paths.deliveredTellFile(tellId))).toBe(true);
    const status = await repo.runCli(["status", runId, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({
      tells: { pending: [], delivered: [{ id: tellId, text: MESSAGE }] },
    });

    // As if bosun had died between the journal and the file's move: the file is back in the
    // mailbox. The journal wins: round 3's worker does not get the message again.
    await rename(repo.paths.deliveredTellFile(tellId), repo.paths.tellFile(tellId));
    const last = await repo.runCli(["review", "--resume", runId]);
    expectNoInternalError(last);
    expect(last.exitCode).toBe(0);
    const round3 = await readFile(repo.getTaskFile(runId, "rounds/3/worker/prompt.md"), "utf8");
    expect(round3).not.toContain(HEADING);
    expect(round3).not.toContain(MESSAGE);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "tell.delivered")).toHaveLength(1);
    expect(existsSync(repo.paths.deliveredTellFile(tellId))).toBe(true);

    // A finished run takes no tells.
    const finished = await repo.runCli(["tell", runId, "too late"]);
    expect(finished.exitCode).toBe(1);
    expect(finished.stderr).toContain("has finished (succeeded)");
  });

  it("says a tell was never delivered when the run finished before a worker ran", async () => {
    const repo = await createOfflineRepo(STEPS.slice(0, 2));
    repos.push(repo);
    expect((await repo.runCli([...REVIEW, "--max-rounds", "1"])).exitCode).toBe(3);
    const { runId, run: asking } = await repo.readOnlyRun();
    expect((await repo.runCli(["tell", runId, MESSAGE])).exitCode).toBe(0);
    // Accepted as it is: no worker runs again, so the message has no prompt to go into.
    const accepted = await repo.runCli(["answer", asking.openAskIds[0] ?? "", "accept"]);
    expect(accepted.exitCode, accepted.stderr).toBe(0);
    const status = await repo.runCli(["status", runId]);
    expect(status.stdout).toMatch(
      /^tell {5}tell-\S+ for the next worker, never delivered: the run succeeded before a worker ran: Keep feature/m,
    );
  });

  it("delivers a team run's tells to the task named, and a run-wide one to one worker only", async () => {
    const repo = await createTeamRepo([
      ...planThreeTasks(),
      { seat: "critic", actions: [CRITIC_APPROVE] },
    ]);
    repos.push(repo);
    expect((await repo.runCli([...RUN_OFFLINE, "--gate-plan"])).exitCode).toBe(3);
    const { runId } = await repo.readOnlyRun();

    const unknown = await repo.runCli(["tell", runId, "--task", "zz", "hi"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("has no task zz. Its tasks: a, b, c");
    expect((await repo.runCli(["tell", runId, "--task", "b", "B: keep it short."])).exitCode).toBe(
      0,
    );
    expect((await repo.runCli(["tell", runId, "Everyone: no new files."])).exitCode).toBe(0);

    const approved = await repo.runCli(["approve", runId]);
    expectNoInternalError(approved);
    expect(approved.exitCode).toBe(0);
    const prompt = (task: string): Promise<string> =>
      readFile(join(repo.paths.attemptDir(runId, task, 1, "worker", 1), "prompt.md"), "utf8");
    const [a, b, c] = await Promise.all([prompt("a"), prompt("b"), prompt("c")]);
    expect(b).toContain("> B: keep it short.");
    expect(a).not.toContain("B: keep it short.");
    // The run-wide tell went to exactly one worker.
    expect([a, b, c].filter((text) => text.includes("> Everyone: no new files."))).toHaveLength(1);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "tell.delivered")).toHaveLength(2);
  });
});
