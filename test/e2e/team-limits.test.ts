/**
 * A team run under agent trouble: a silent agent is killed at the stall timeout and its task
 * retried; a provider's rate limit pauses that harness for every task until its reset, then the
 * run completes by itself.
 */
import { describe, expect, it } from "vitest";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import {
  APPROVE,
  RUN_OFFLINE,
  THREE_TASK_PLAN,
  createTeamRepo,
  writeTaskFile,
} from "../helpers/team-repo.js";

const repos = useOfflineRepos();

describe("bosun run under agent trouble", () => {
  it("kills a silent worker at the stall timeout, retries its task, and completes", async () => {
    const repo = await createTeamRepo(
      [
        { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
        // Task a's first worker goes silent for good.
        { seat: "worker", task: "a", times: 1, actions: [{ sleepMs: 120_000 }] },
        { seat: "worker", task: "a", actions: writeTaskFile("a") },
        { seat: "worker", task: "b", actions: writeTaskFile("b") },
        { seat: "worker", task: "c", actions: writeTaskFile("c") },
        { seat: "critic", actions: [APPROVE] },
      ],
      { dispatch: { stallTimeoutSec: 2, retries: 0, graceSec: 1 } },
    );
    repos.push(repo);
    const result = await repo.runCli(RUN_OFFLINE);
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    const failed = filterEvents(events, "dispatch.failed").filter((e) => e.taskId === "a");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toMatch(/stall/i);
    // Journaled as a stall, so the surfaces show the agent as stalled, not merely failed.
    expect(failed[0]?.stall).toBe("silent");
    expect(
      filterEvents(events, "task.status")
        .filter((e) => e.taskId === "a")
        .map((e) => e.status),
    ).toContain("retry_queued");
    expect(
      filterEvents(events, "merge.completed")
        .map((e) => e.taskId)
        .sort(),
    ).toEqual(["a", "b", "c"]);
  }, 90_000);

  it("pauses a harness on a provider's rate limit, then goes on by itself", async () => {
    const repo = await createTeamRepo(
      [
        { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
        {
          seat: "worker",
          task: "a",
          times: 1,
          actions: [{ fail: { message: "429 rate limit exceeded, resets in 2s" } }],
        },
        { seat: "worker", task: "a", actions: writeTaskFile("a") },
        { seat: "worker", task: "b", actions: writeTaskFile("b") },
        { seat: "worker", task: "c", actions: writeTaskFile("c") },
        { seat: "critic", actions: [APPROVE] },
      ],
      { dispatch: { retries: 2 } },
    );
    repos.push(repo);
    const result = await repo.runCli(RUN_OFFLINE);
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    const paused = filterEvents(events, "harness.paused");
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatchObject({ harness: "offline" });
    expect(paused[0]?.reason).toMatch(/429/);
    // No task failed for it: the limited call waited out the pause and ran again.
    expect(filterEvents(events, "task.status").filter((e) => e.status === "failed")).toEqual([]);
    expect(filterEvents(events, "merge.completed")).toHaveLength(3);
  }, 90_000);
});
