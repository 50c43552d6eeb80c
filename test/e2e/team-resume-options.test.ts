/**
 * `bosun run --resume RUN` with flags: the run's limits (parallelism, caps) change from then on and
 * stay changed for later resumes; a higher cap continues a run the budget stopped, up to
 * `succeeded`; what the run was planned and staffed with is refused; and a provider's pause
 * recorded before a stop still holds after the resume.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readRunEvents } from "../../src/store/run-read.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, VERIFY, createTeamRepo, writeTaskFile } from "../helpers/team-repo.js";
import {
  countMerges,
  createScenarioRepo,
  listIntegrationMerges,
  makePlan,
  teamArgs,
} from "../helpers/team-scenario.js";
import { waitFor } from "../helpers/wait-for.js";

const repos = useOfflineRepos();

/** The agent reports what its call cost, the way a vendor CLI's usage event does. */
function spend(costUsd: number): OfflineAction {
  return {
    emit: JSON.stringify({
      type: "usage",
      usage: { inputTokens: 1000, cachedInputTokens: 0, outputTokens: 100 },
      costUsd,
      isCumulative: false,
    }),
  };
}

/** The seq of the first event of task `taskId` with status `status`. */
function findStatusSeq(events: readonly RunEvent[], taskId: string, status: string): number {
  const found = filterEvents(events, "task.status").find(
    (event) => event.taskId === taskId && event.status === status,
  );
  if (found === undefined) throw new Error(`task ${taskId} was never ${status}`);
  return found.seq;
}

describe("bosun run --resume with flags", () => {
  it("continues a budget_exhausted run with a higher --budget-usd to succeeded, each task merged once", async () => {
    // Planner $0.30; both workers start on the $0.25 estimate and cost $0.50 each: $1.30 spent,
    // so both critics are refused against $1.00.
    const repo = await createScenarioRepo([
      { seat: "planner", actions: [spend(0.3), { report: makePlan([{ id: "a" }, { id: "b" }]) }] },
      { seat: "worker", task: "a", actions: [spend(0.5), ...writeTaskFile("a")] },
      { seat: "worker", task: "b", actions: [spend(0.5), ...writeTaskFile("b")] },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    const first = await repo.runCli(teamArgs(VERIFY, "--budget-usd", "1"));
    expectNoInternalError(first);
    expect(first.exitCode, first.stderr).toBe(4);
    const { runId, events: stopped } = await repo.readOnlyRun();
    expect(filterEvents(stopped, "dispatch.started", { seat: "critic" })).toEqual([]);
    expect(first.stderr).toContain(`bosun run --resume ${runId} --budget-usd AMOUNT`);

    // Without a higher cap, the resume says the budget is spent and how to raise it, and records nothing.
    for (const args of [[], ["--budget-usd", "1"], ["--budget-usd", "1.2"]]) {
      const refused = await repo.runCli(["run", "--resume", runId, ...args]);
      expectNoInternalError(refused);
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`Run ${runId} stopped on its budget`);
      expect(refused.stderr).toContain("raise the run's cap above $1.30");
      expect(refused.stderr).toContain(`bosun run --resume ${runId} --budget-usd AMOUNT`);
    }
    // What the run was planned and staffed with cannot change: refused, naming the flag.
    for (const [flag, ...value] of [["--worker", "offline"], ["--gate-plan"]] as const) {
      const refused = await repo.runCli(["run", "--resume", runId, flag, ...value]);
      expectNoInternalError(refused);
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`${flag} cannot change when a run resumes`);
      expect(refused.stderr).toContain("start a new run");
    }
    expect(await readRunEvents(repo.paths, runId)).toEqual(stopped);

    const resumed = await repo.runCli(["run", "--resume", runId, "--budget-usd", "5"]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", options: { budgetUsd: 5 } });
    expect(filterEvents(events, "options.changed")).toMatchObject([{ options: { budgetUsd: 5 } }]);
    // One stop for the two refusals; the refused critics ran after the raise, the workers never again.
    expect(filterEvents(events, "budget.exhausted")).toHaveLength(1);
    expect(filterEvents(events, "dispatch.started", { seat: "critic" })).toHaveLength(2);
    expect(filterEvents(events, "dispatch.started", { seat: "worker" })).toHaveLength(2);
    expect(countMerges(events)).toEqual({ a: 1, b: 1 });
    expect([...(await listIntegrationMerges(repo, runId))].sort()).toEqual([
      "bosun: merge task a (Task a)",
      "bosun: merge task b (Task b)",
    ]);
  }, 90_000);

  it("journals --max-parallel and keeps it through a later plain --resume", async () => {
    const repo = await createScenarioRepo([
      { seat: "planner", actions: [{ report: makePlan([{ id: "a" }, { id: "b" }]) }] },
      { seat: "worker", task: "a", actions: writeTaskFile("a") },
      { seat: "worker", task: "b", actions: writeTaskFile("b") },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);
    // A gated plan stops the run after planning: each resume stops there again, until approved.
    expect((await repo.runCli(teamArgs(VERIFY, "--gate-plan"))).exitCode).toBe(3);
    const { runId } = await repo.readOnlyRun();

    const changed = await repo.runCli(["run", "--resume", runId, "--max-parallel", "1"]);
    expectNoInternalError(changed);
    expect(changed.exitCode, changed.stderr).toBe(3);
    expect(changed.stderr).toContain("options now: 1 task(s) at once");
    const plain = await repo.runCli(["run", "--resume", runId]);
    expect(plain.exitCode, plain.stderr).toBe(3);
    const approved = await repo.runCli(["approve", runId]);

    expectNoInternalError(approved);
    expect(approved.exitCode, approved.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", options: { maxParallel: 1 } });
    expect(filterEvents(events, "options.changed")).toMatchObject([
      { options: { maxParallel: 1 } },
    ]);
    expect(filterEvents(events, "run.resumed")).toHaveLength(3);
    // One task at a time: the second started only once the first had merged.
    const [firstId, secondId] = ["a", "b"].sort(
      (x, y) => findStatusSeq(events, x, "running") - findStatusSeq(events, y, "running"),
    );
    expect(findStatusSeq(events, secondId ?? "", "running")).toBeGreaterThan(
      findStatusSeq(events, firstId ?? "", "merged"),
    );
  }, 90_000);

  it("keeps a provider's pause recorded before a stop: the resumed dispatch waits for it", async () => {
    const spawns = "a-spawns";
    const repo = await createTeamRepo(
      [
        { seat: "planner", actions: [{ report: makePlan([{ id: "a" }]) }] },
        {
          seat: "worker",
          task: "a",
          times: 1,
          actions: [{ fail: { message: "429 rate limit exceeded, resets in 8s" } }],
        },
        {
          seat: "worker",
          task: "a",
          actions: [{ run: `date +%s%3N >> "$HOME/${spawns}"` }, ...writeTaskFile("a")],
        },
        { seat: "critic", actions: [APPROVE] },
      ],
      { dispatch: { retries: 2 } },
    );
    repos.push(repo);
    const live = repo.startCli(teamArgs(VERIFY));
    const { runId, until } = await waitFor("the worker's harness to be paused", async () => {
      const found = await repo.readOnlyRun().catch(() => undefined);
      const paused = found === undefined ? undefined : filterEvents(found.events, "harness.paused");
      return paused?.[0] === undefined
        ? undefined
        : { runId: found?.runId ?? "", until: paused[0].until };
    });
    const stopped = await repo.runCli(["stop", runId]);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect((await live.result).exitCode).toBe(130);
    const resumedAtMs = Date.now();
    expect(resumedAtMs).toBeLessThan(Date.parse(until));

    const resumed = await repo.runCli(["run", "--resume", runId]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`offline is still paused until ${until}`);
    const startedMs = (await readFile(join(repo.home, spawns), "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map(Number);
    expect(startedMs).toHaveLength(1);
    expect(startedMs[0]).toBeGreaterThanOrEqual(Date.parse(until));
    expect((await repo.readOnlyRun()).run.status).toBe("succeeded");
  }, 90_000);
});
