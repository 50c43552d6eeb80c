/**
 * `bosun run --execute --budget-usd`: the cap is enforced before spending. The offline agents
 * report what each dispatch cost (a usage event, as a vendor CLI does); bosun refuses the
 * dispatch whose estimate would pass the cap, so it never starts, and the run ends
 * `budget_exhausted` (exit 4) with the spend under the cap. A worker on a Claude Code stand-in
 * is handed a cap it can spend in full: that ends the run the same way, not the task as failed.
 */
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import { createTempDir } from "../helpers/agent-env.js";
import { filterEvents, type OfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, VERIFY, createTeamRepo, writeTaskFile } from "../helpers/team-repo.js";
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

/**
 * A stand-in for Claude Code as a team worker, in its stream-json format: its first call spends
 * the whole `--max-budget-usd` it is given and ends as the real one does at its cap
 * (error_max_budget_usd); later calls write `<task>.txt` and the report, for $0.10. Every
 * call's argv is appended to `<dir>/argv.jsonl`.
 */
async function writeFakeClaude(): Promise<{ command: string; argvFile: string }> {
  const dir = await createTempDir("bosun-fake-claude-");
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const command = join(dir, "claude");
  const argvFile = join(dir, "argv.jsonl");
  const counter = join(dir, "calls");
  await writeFile(
    command,
    `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(argvFile)}, JSON.stringify(args) + "\\n");
const call = fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) + 1 : 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(call));
const result = (fields) => console.log(JSON.stringify({ type: "result", ...fields }));
if (call === 1) {
  const cap = Number(args[args.indexOf("--max-budget-usd") + 1]);
  result({ subtype: "error_max_budget_usd", is_error: true, total_cost_usd: cap });
  process.exit(1);
}
const task = process.env.BOSUN_TASK_ID;
fs.writeFileSync(task + ".txt", task + "\\n");
const report = { task_id: task, round: Number(process.env.BOSUN_ROUND), files_changed: [task + ".txt"], notes: "wrote it", tests: [] };
fs.writeFileSync(process.env.BOSUN_REPORT_FILE, JSON.stringify(report));
result({ subtype: "success", is_error: false, result: "done", total_cost_usd: 0.1 });
`,
  );
  await chmod(command, 0o755);
  return { command, argvFile };
}

/** The `--max-budget-usd` of each call the stand-in got, in order. */
async function readCaps(argvFile: string): Promise<string[]> {
  const lines = (await readFile(argvFile, "utf8")).trim().split("\n");
  return lines.map((line) => {
    const args: unknown = JSON.parse(line);
    if (!Array.isArray(args)) throw new Error(`not an argv: ${line}`);
    return String(args[args.indexOf("--max-budget-usd") + 1]);
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

  it("hands a Claude worker its share as --max-budget-usd; spending it all stops the run, resumable with more", async () => {
    const fake = await writeFakeClaude();
    const repo = await createTeamRepo(
      [
        { seat: "planner", actions: [spend(0.1), { report: makePlan([{ id: "a" }]) }] },
        { seat: "critic", actions: [APPROVE] },
      ],
      { agents: { claude: { command: fake.command } } },
    );
    repos.push(repo);
    const args = ["run", "Scenario goal.", "--execute", "--planner", "offline", "--worker"];

    const first = await repo.runCli([
      ...args,
      ...["claude", "--critic", "offline", "--verify", VERIFY, "--budget-usd", "1"],
    ]);

    expectNoInternalError(first);
    expect(first.exitCode, first.stderr).toBe(4);
    const stopped = await repo.readOnlyRun();
    expect(stopped.run).toMatchObject({ status: "budget_exhausted" });
    // $0.90 left, 3 parallel slots: a third of it, over the worker's $0.25 estimate.
    expect(await readCaps(fake.argvFile)).toEqual(["0.3"]);
    expect(filterEvents(stopped.events, "dispatch.started", { seat: "worker" })).toMatchObject([
      { reservedUsd: 0.25, capUsd: 0.3 },
    ]);
    expect(filterEvents(stopped.events, "dispatch.failed")).toMatchObject([
      { seat: "worker", costUsd: 0.3 },
    ]);
    expect(filterEvents(stopped.events, "budget.exhausted")).toMatchObject([
      { scope: "run", limitUsd: 1, spentUsd: 0.4 },
    ]);
    // A budget stop, not a failure: the task waits to go on.
    const statuses = filterEvents(stopped.events, "task.status").filter((e) => e.taskId === "a");
    expect(statuses.map((event) => event.status)).toEqual(["running", "pending"]);
    expect(statuses.at(-1)?.reason).toContain("all of the $0.30 cap it was given");
    expect(filterEvents(stopped.events, "dispatch.started", { seat: "critic" })).toEqual([]);
    expect(first.stderr).toMatch(/budget/i);

    const { runId } = stopped;
    const resumed = await repo.runCli(["run", "--resume", runId, "--budget-usd", "5"]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded" });
    expect(filterEvents(events, "task.status").findLast((e) => e.taskId === "a")).toMatchObject({
      status: "merged",
    });
    // $0.40 spent counts against the new cap: $4.60 over 3 slots, rounded down.
    expect(await readCaps(fake.argvFile)).toEqual(["0.3", "1.533333"]);
  });
});
