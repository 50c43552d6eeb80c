/**
 * `bosun run --execute --budget-usd`: the cap is enforced before spending. The offline agents
 * report what each dispatch cost (a usage event, as a vendor CLI does); bosun refuses the
 * dispatch whose estimate would pass the cap, so it never starts, and the run ends
 * `budget_exhausted` (exit 4) with the spend under the cap.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import { filterEvents, type OfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, VERIFY, writeTaskFile } from "../helpers/team-repo.js";
import { createScenarioRepo, makePlan, teamArgs } from "../helpers/team-scenario.js";

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

/** Events after the first `budget.exhausted`. */
function listAfterExhausted(events: readonly RunEvent[]): RunEvent[] {
  const index = events.findIndex((event) => event.type === "budget.exhausted");
  return index === -1 ? [] : events.slice(index + 1);
}

/** The costs.jsonl lines of the repo. */
async function readCostLines(repo: OfflineRepo): Promise<Array<{ costUsd: number }>> {
  const text = await readFile(repo.paths.costsFile, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const value: unknown = JSON.parse(line);
      if (typeof value !== "object" || value === null || !("costUsd" in value))
        throw new Error(`costs.jsonl line without costUsd: ${line}`);
      return { costUsd: Number(value.costUsd) };
    });
}

describe("bosun run --execute --budget-usd", () => {
  it("stops before the dispatch that would pass the cap: it never starts, spend stays under, exit 4", async () => {
    // Planner $0.30 and worker $0.50 are spent; the critic's estimate ($0.25, nothing known of
    // its seat yet) would bring the run to $1.05 against a $1.00 cap.
    const repo = await createScenarioRepo([
      { seat: "planner", actions: [spend(0.3), { report: makePlan([{ id: "a" }]) }] },
      { seat: "worker", actions: [spend(0.5), ...writeTaskFile("a")] },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);

    const result = await repo.runCli(teamArgs(VERIFY, "--budget-usd", "1"));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(4);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "budget_exhausted" });
    expect(filterEvents(events, "budget.exhausted")).toMatchObject([
      { scope: "run", limitUsd: 1, spentUsd: 0.8 },
    ]);
    // The refused dispatch never started, and nothing started after the stop.
    expect(filterEvents(events, "dispatch.started", { seat: "critic" })).toEqual([]);
    expect(listAfterExhausted(events).filter((event) => event.type === "dispatch.started")).toEqual(
      [],
    );
    expect(filterEvents(events, "merge.started")).toEqual([]);
    // What was spent is what the agents reported, and within the cap.
    const spent = filterEvents(events, "dispatch.completed").map((event) => event.costUsd);
    expect(spent).toEqual([0.3, 0.5]);
    expect(run.costUsd).toBeCloseTo(0.8, 6);
    const costs = await readCostLines(repo);
    expect(costs.map((line) => line.costUsd)).toEqual([0.3, 0.5]);
    expect(result.stderr).toMatch(/budget/i);
  });

  it("refuses even the planner when its estimate alone passes the cap: nothing runs", async () => {
    const repo = await createScenarioRepo([
      { seat: "planner", actions: [{ report: makePlan([{ id: "a" }]) }] },
    ]);
    repos.push(repo);

    const result = await repo.runCli(teamArgs(VERIFY, "--budget-usd", "0.1"));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(4);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "budget_exhausted" });
    expect(filterEvents(events, "budget.exhausted")).toMatchObject([
      { scope: "run", limitUsd: 0.1, spentUsd: 0 },
    ]);
    expect(filterEvents(events, "dispatch.started")).toEqual([]);
    expect(await readCostLines(repo)).toEqual([]);
  });
});
