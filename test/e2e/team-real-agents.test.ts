/**
 * `bosun run --execute` with the real Claude Code and Codex CLIs against the project's mock model
 * servers: a goal planned into three tasks (two parallel, one depending on both), workers on
 * claude in real worktrees, the critic on codex, the sample repo's real test command as the
 * gate; the critic rejects one task once and it heals; all merge; the tests end green; costs
 * are recorded.
 */
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/proc/run-process.js";
import { createTempDir } from "../helpers/agent-env.js";
import {
  CODEX_MODEL,
  createRealAgentWorkspace,
  runGitChecked,
} from "../helpers/real-agent-workspace.js";
import { makeClaudeTeam, makeCodexCritics } from "../helpers/team-real-scripts.js";
import { CHECK_SCRIPT, THREE_TASK_PLAN, VERIFY } from "../helpers/team-repo.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BOSUN_CLI = join(REPO_ROOT, "dist", "cli.js");

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  if (!existsSync(BOSUN_CLI))
    throw new Error(`${BOSUN_CLI} is missing: run "npm run build" first.`);
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe("bosun run with real agent CLIs", () => {
  it("claude plans and works in parallel worktrees, codex critiques (rejects once, heals), all merge green, costs recorded", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: () => makeClaudeTeam(THREE_TASK_PLAN),
      codex: () => makeCodexCritics(THREE_TASK_PLAN, "b"),
      files: {
        "bosun.yaml": `agents:\n  codex:\n    model: ${CODEX_MODEL}\ndispatch:\n  retries: 0\n`,
        "check.sh": CHECK_SCRIPT,
      },
      message: "bosun.yaml and check.sh",
    });
    cleanups.push(() => workspace.cleanup());
    const { repo, env, anthropic, responses } = workspace;

    const result = await runProcess({
      command: process.execPath,
      args: [
        BOSUN_CLI,
        "run",
        THREE_TASK_PLAN.goal,
        "--execute",
        "--worker",
        "claude",
        "--critic",
        "codex",
        "--verify",
        VERIFY,
        "--timeout",
        "60",
      ],
      cwd: repo,
      env,
      isEnvIsolated: true,
      timeoutMs: 170_000,
    });
    expect(
      result.exitCode,
      `stderr: ${result.stderrTail}\nstdout: ${result.stdout.slice(-3000)}`,
    ).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);

    const runsDir = join(repo, ".bosun", "runs");
    const [runId = ""] = await readdir(runsDir);
    const run = JSON.parse(await readFile(join(runsDir, runId, "run.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(run).toMatchObject({ flow: "team", status: "succeeded" });
    const events = (await readFile(join(runsDir, runId, "events.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const of = (type: string): Array<Record<string, unknown>> =>
      events.filter((event) => event["type"] === type);
    // Real worktrees, outside the checkout, one per task.
    const worktrees = of("worktree.created");
    expect(worktrees.map((w) => w["taskId"]).sort()).toEqual(["a", "b", "c"]);
    for (const w of worktrees) expect(String(w["dir"]).startsWith(repo)).toBe(false);
    // Who did what: the planner and workers on claude, every critic on codex.
    const dispatches = of("dispatch.completed");
    expect(
      new Set(dispatches.filter((d) => d["seat"] === "critic").map((d) => d["harness"])),
    ).toEqual(new Set(["codex"]));
    expect(
      new Set(dispatches.filter((d) => d["seat"] !== "critic").map((d) => d["harness"])),
    ).toEqual(new Set(["claude"]));
    // The critic rejected b once; it healed in round 2.
    expect(
      of("review.completed")
        .filter((r) => r["taskId"] === "b")
        .map((r) => r["decision"]),
    ).toEqual(["changes_required", "approve"]);
    // All merged once; the integration branch holds every file and its tests pass there.
    expect(
      of("merge.completed")
        .map((m) => m["taskId"])
        .sort(),
    ).toEqual(["a", "b", "c"]);
    const integration = `bosun/${runId}/integration`;
    expect((await runGitChecked(repo, env, ["show", `${integration}:b.txt`])).trim()).toBe("b\nb");
    const check = await runProcess({
      command: "sh",
      args: [
        "-c",
        `git archive ${integration} | tar -x -C "$0" && cd "$0" && sh check.sh`,
        await createTempDir("bosun-check-"),
      ],
      cwd: repo,
      env,
      isEnvIsolated: true,
      timeoutMs: 10_000,
    });
    expect(check.exitCode, check.stdout).toBe(0);
    // Costs: one line per dispatch, Claude's reported, Codex's estimated from its tokens.
    const costs = (await readFile(join(repo, ".bosun", "costs.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(costs).toHaveLength(dispatches.length);
    expect(costs.every((line) => line["runId"] === runId)).toBe(true);
    const total = costs.reduce((sum, line) => sum + Number(line["costUsd"]), 0);
    expect(Number(run["costUsd"])).toBeCloseTo(total, 6);
    expect(total).toBeGreaterThan(0);
  }, 180_000);
});
