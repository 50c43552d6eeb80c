import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AgentBudgetSpentError } from "../agents/attempt.js";
import type { AgentRunner, DispatchRequest } from "../agents/dispatch.js";
import { AgentError } from "../errors.js";
import { createBosunPaths } from "../store/paths.js";
import { createRunIndex } from "../store/run-index.js";
import { DEFAULT_CONFIG, type Config } from "../store/schema/config.js";
import { RunEventSchema, type RunEventInput } from "../store/schema/events.js";
import type { TeamOptions } from "../store/schema/run-options.js";
import { makeDispatchResult } from "../../test/helpers/dispatch-result.js";
import { makeGitRepo } from "../../test/helpers/git-repo.js";
import { runAgentStep } from "./agent-step.js";
import type { DispatchBudget, RoundScope, RunContext } from "./flow-context.js";
import { TeamBudgetExhaustedError, createTeamBudget } from "./team/team-budget.js";

const OPTIONS: TeamOptions = {
  planner: "offline",
  worker: "claude",
  critic: "codex",
  maxParallel: 2,
  maxRepairs: 2,
  verify: "",
  timeoutSec: 0,
  stallTimeoutSec: 300,
  budgetUsd: 4,
  isPlanGated: false,
};

/** A run context with `budget` whose journal is `recorded` and whose agents are `runAgent`. */
async function makeContext(
  budget: DispatchBudget | undefined,
  runAgent: AgentRunner | undefined,
  config: Config = DEFAULT_CONFIG,
): Promise<{ ctx: RunContext; recorded: RunEventInput[]; repo: string }> {
  const repo = await makeGitRepo();
  const recorded: RunEventInput[] = [];
  const ctx: RunContext = {
    paths: createBosunPaths(repo),
    config,
    runId: "r1",
    state: createRunIndex(),
    record: (event) => {
      recorded.push(event);
      return Promise.resolve(RunEventSchema.parse({ ...event, seq: recorded.length, ts: "t" }));
    },
    emit: () => undefined,
    ...(budget === undefined ? {} : { budget }),
    ...(runAgent === undefined ? {} : { runAgent }),
  };
  return { ctx, recorded, repo };
}

function makeScope(repo: string, taskId: string, worker = "claude"): RoundScope {
  return {
    taskId,
    round: 1,
    cwd: repo,
    harnesses: { worker },
    maxRounds: 3,
    timeoutSec: 60,
    resumeCommand: "bosun run --resume r1",
  };
}

const STEP = {
  seat: "worker",
  attempt: 1,
  prompt: "do it",
  checkReport: () => Promise.resolve({ isValid: true }),
} as const;

describe("runAgentStep under a team budget", () => {
  it("hands a capped CLI exactly the cap it reserved, and journals the estimate and the cap apart", async () => {
    const budget = createTeamBudget([], OPTIONS);
    const requests: DispatchRequest[] = [];
    const { ctx, recorded, repo } = await makeContext(budget, (request) => {
      requests.push(request);
      return Promise.resolve(makeDispatchResult(0.5));
    });
    await runAgentStep(ctx, makeScope(repo, "a"), { ...STEP, reportFile: `${repo}/r.json` });
    await runAgentStep(ctx, makeScope(repo, "b", "codex"), {
      ...STEP,
      reportFile: `${repo}/r.json`,
    });
    // $4 unreserved, two slots free: $2 for Claude Code; Codex cannot be capped.
    expect(requests.map((request) => request.maxBudgetUsd)).toEqual([2, undefined]);
    expect(recorded.filter((event) => event.type === "dispatch.started")).toMatchObject([
      { taskId: "a", harness: "claude", reservedUsd: 0.25, capUsd: 2 },
      { taskId: "b", harness: "codex", reservedUsd: 0.25 },
    ]);
    expect(recorded[2]).not.toHaveProperty("capUsd");
  });

  it("stops for the run's budget, not as a failure, when Claude Code spends its whole cap", async () => {
    const budget = createTeamBudget([], OPTIONS);
    const { ctx, recorded, repo } = await makeContext(budget, (request) =>
      // What dispatch throws for a result of subtype error_max_budget_usd.
      Promise.reject(
        new AgentBudgetSpentError(
          "claude exited with code 1: Claude Code run ended with error_max_budget_usd",
          { costUsd: (request.maxBudgetUsd ?? 0) + 0.05 },
        ),
      ),
    );
    const error: unknown = await runAgentStep(ctx, makeScope(repo, "a"), {
      ...STEP,
      reportFile: `${repo}/r.json`,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TeamBudgetExhaustedError);
    expect(error).toMatchObject({ scope: "run", limitUsd: 4, spentUsd: 2.05 });
    // The journal keeps what the call cost, so a resume counts that and not a guess.
    expect(recorded.at(-1)).toMatchObject({
      type: "dispatch.failed",
      isPermanent: true,
      costUsd: 2.05,
    });
    // Settled at its real cost: $1.95 is left, half of it for a call in one of two free slots.
    const next = budget?.reserve(makeScope(repo, "b"), "critic", { name: "x", isCapped: true });
    expect(next?.capUsd).toBe(0.975);
  });

  it("stops for the task's budget when the task's cap bounded the call", async () => {
    const budget = createTeamBudget([], { ...OPTIONS, budgetUsd: 10, taskBudgetUsd: 0.5 });
    const { ctx, repo } = await makeContext(budget, (request) =>
      Promise.reject(
        new AgentBudgetSpentError("Claude Code run ended with error_max_budget_usd", {
          costUsd: request.maxBudgetUsd ?? 0,
        }),
      ),
    );
    await expect(
      runAgentStep(ctx, makeScope(repo, "a"), { ...STEP, reportFile: `${repo}/r.json` }),
    ).rejects.toMatchObject({ scope: "task", limitUsd: 0.5, spentUsd: 0.5 });
  });

  it("counts a capped call that failed otherwise at its cap, and lets its failure through", async () => {
    const budget = createTeamBudget([], OPTIONS);
    const failure = new AgentError("claude exited with code 1: API Error: 500", {
      isPermanent: true,
    });
    const { ctx, recorded, repo } = await makeContext(budget, () => Promise.reject(failure));
    await expect(
      runAgentStep(ctx, makeScope(repo, "a"), { ...STEP, reportFile: `${repo}/r.json` }),
    ).rejects.toBe(failure);
    expect(recorded.at(-1)).toMatchObject({ type: "dispatch.failed" });
    expect(recorded.at(-1)).not.toHaveProperty("costUsd");
    // It may have spent its whole $2 cap: $2 is left, half of it for a call in one of two slots.
    const next = budget?.reserve(makeScope(repo, "b"), "critic", { name: "x", isCapped: true });
    expect(next?.capUsd).toBe(1);
  });

  it("ends the run's budget through the real dispatch when Claude Code reports error_max_budget_usd", async () => {
    const { ctx, recorded, repo } = await makeContext(createTeamBudget([], OPTIONS), undefined);
    // A stand-in for Claude Code that spends the cap it is given and ends as the real one does.
    const fake = path.join(repo, "..", `${path.basename(repo)}-fake-claude`);
    const argvFile = `${fake}.argv`;
    await writeFile(
      fake,
      `#!${process.execPath}
const args = process.argv.slice(2);
require("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(args));
const cap = Number(args[args.indexOf("--max-budget-usd") + 1]);
console.log(JSON.stringify({ type: "result", subtype: "error_max_budget_usd", is_error: true, total_cost_usd: cap + 0.01 }));
process.exit(1);
`,
    );
    await chmod(fake, 0o755);
    ctx.config = { ...DEFAULT_CONFIG, agents: { claude: { command: fake } } };
    await expect(
      runAgentStep(ctx, makeScope(repo, "a"), { ...STEP, reportFile: `${repo}/r.json` }),
    ).rejects.toMatchObject({ name: "TeamBudgetExhaustedError", scope: "run", spentUsd: 2.01 });
    const argv: unknown = JSON.parse(await readFile(argvFile, "utf8"));
    expect(argv).toEqual(expect.arrayContaining(["--max-budget-usd", "2"]));
    expect(recorded.at(-1)).toMatchObject({ type: "dispatch.failed", costUsd: 2.01 });
  });
});
