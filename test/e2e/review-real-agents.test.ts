/**
 * `bosun review` end to end with the real Claude Code and Codex CLIs as worker and reviewer: the
 * built CLI drives two rounds (changes required, then approved) against the scripted mock models.
 */
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/proc/run-process.js";
import { DEFAULT_CONFIG } from "../../src/store/schema/config.js";
import type { MockConversation, MockTurn } from "../mocks/mock-script.js";
import {
  CODEX_MODEL,
  createRealAgentWorkspace,
  runGitChecked,
  type RealAgentWorkspace,
} from "../helpers/real-agent-workspace.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BOSUN_CLI = join(REPO_ROOT, "dist", "cli.js");
const TASK_ID = "T-001";
const GOAL = "Add calc.js exporting add(a, b) that returns the sum of a and b.";
const BUGGY_SOURCE = "export const add = (a, b) => a - b;\n";
const FIXED_SOURCE = "export const add = (a, b) => a + b;\n";
const BLOCKING_REASON = "add() subtracts instead of adding; it must return a + b.";
const SCENARIO_TIMEOUT_MS = 60_000;

/** The report path bosun puts on its own line after the "to this exact path" instruction. */
const REPORT_PATH_PATTERN = /to this exact path[^\n]*\n\s*(\S+)/;

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  if (!existsSync(BOSUN_CLI))
    throw new Error(`${BOSUN_CLI} is missing: run "npm run build" first.`);
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function getReportPath(prompt: string): string {
  const found = REPORT_PATH_PATTERN.exec(prompt)?.[1];
  if (found === undefined) throw new Error(`no report path in prompt: ${prompt.slice(0, 300)}`);
  return found;
}

/** A prompt matcher for one role and round of the goal's task. */
function isRolePrompt(role: "WORKER" | "REVIEWER", round: number): (prompt: string) => boolean {
  const pattern = new RegExp(`^You are the ${role} for task ${TASK_ID}, round ${round}\\b`);
  return (prompt) => pattern.test(prompt);
}

function makeWorkReport(round: number, notes: string): string {
  const report = { task_id: TASK_ID, round, files_changed: ["calc.js"], notes, tests: [] };
  return JSON.stringify(report, null, 2);
}

function makeReviewReport(round: number, isApproved: boolean): string {
  const report = {
    task_id: TASK_ID,
    round,
    decision: isApproved ? "approve" : "changes_required",
    blocking_issues: isApproved
      ? []
      : [{ severity: "high", file: "calc.js", reason: BLOCKING_REASON }],
    non_blocking_suggestions: [],
  };
  return JSON.stringify(report, null, 2);
}

/** A shell command that writes `content` to `file` with a quoted heredoc (no expansion). */
function makeHeredoc(file: string, content: string): string {
  return `cat > '${file}' <<'EOF'\n${content}\nEOF`;
}

/** The patch Codex's apply_patch takes to turn the buggy add() into the fixed one. */
const FIX_PATCH = [
  "*** Begin Patch",
  "*** Update File: calc.js",
  "@@",
  `-${BUGGY_SOURCE.trimEnd()}`,
  `+${FIXED_SOURCE.trimEnd()}`,
  "*** End Patch",
  "",
].join("\n");
const ADD_PATCH = [
  "*** Begin Patch",
  "*** Add File: calc.js",
  `+${BUGGY_SOURCE.trimEnd()}`,
  "*** End Patch",
  "",
].join("\n");

/** Claude as worker: round 1 writes the bug, round 2 reads and fixes it; each writes its report. */
function makeClaudeWorker(repo: string): MockConversation[] {
  const calcFile = join(repo, "calc.js");
  return [
    {
      name: "claude-worker-1",
      match: isRolePrompt("WORKER", 1),
      turns: [
        (ctx): MockTurn => ({
          text: "Creating calc.js and the report.",
          toolCalls: [
            { name: "Write", input: { file_path: calcFile, content: BUGGY_SOURCE } },
            {
              name: "Write",
              input: {
                file_path: getReportPath(ctx.prompt),
                content: makeWorkReport(1, "Added add()."),
              },
            },
          ],
        }),
        { text: "Added calc.js with add()." },
      ],
    },
    {
      name: "claude-worker-2",
      match: isRolePrompt("WORKER", 2),
      turns: [
        { toolCalls: [{ name: "Read", input: { file_path: calcFile } }] },
        (ctx): MockTurn => ({
          toolCalls: [
            {
              name: "Edit",
              input: { file_path: calcFile, old_string: "a - b", new_string: "a + b" },
            },
            {
              name: "Write",
              input: {
                file_path: getReportPath(ctx.prompt),
                content: makeWorkReport(2, "add() now adds."),
              },
            },
          ],
        }),
        { text: "Fixed add()." },
      ],
    },
  ];
}

/** Claude as reviewer: writes the review report with the Write tool. */
function makeClaudeReviewer(): MockConversation[] {
  return [1, 2].map((round) => ({
    name: `claude-reviewer-${round}`,
    match: isRolePrompt("REVIEWER", round),
    turns: [
      (ctx): MockTurn => ({
        toolCalls: [
          {
            name: "Write",
            input: {
              file_path: getReportPath(ctx.prompt),
              content: makeReviewReport(round, round === 2),
            },
          },
        ],
      }),
      { text: round === 2 ? "Approved." : "Changes required." },
    ],
  }));
}

/** Codex as worker: apply_patch adds the bug, then fixes it; exec_command writes each report. */
function makeCodexWorker(): MockConversation[] {
  const notes = ["Added add().", "add() now adds."];
  return [ADD_PATCH, FIX_PATCH].map((patch, index) => {
    const round = index + 1;
    return {
      name: `codex-worker-${round}`,
      match: isRolePrompt("WORKER", round),
      turns: [
        { text: "Patching calc.js.", toolCalls: [{ name: "apply_patch", input: patch }] },
        (ctx): MockTurn => ({
          toolCalls: [
            {
              name: "exec_command",
              input: {
                cmd: makeHeredoc(
                  getReportPath(ctx.prompt),
                  makeWorkReport(round, notes[index] ?? ""),
                ),
              },
            },
          ],
        }),
        { text: `Round ${round} done.` },
      ],
    };
  });
}

/** Codex as reviewer: writes the review report with exec_command. */
function makeCodexReviewer(): MockConversation[] {
  return [1, 2].map((round) => ({
    name: `codex-reviewer-${round}`,
    match: isRolePrompt("REVIEWER", round),
    turns: [
      (ctx): MockTurn => ({
        toolCalls: [
          {
            name: "exec_command",
            input: {
              cmd: makeHeredoc(getReportPath(ctx.prompt), makeReviewReport(round, round === 2)),
            },
          },
        ],
      }),
      { text: round === 2 ? "Approved." : "Changes required." },
    ],
  }));
}

/** The workspace of one scenario: both mocks and bosun.yaml committed (cleaned up after the test). */
type Workspace = RealAgentWorkspace;

async function createWorkspace(scripts: {
  claude: (repo: string) => MockConversation[];
  codex: (repo: string) => MockConversation[];
}): Promise<Workspace> {
  const workspace = await createRealAgentWorkspace({
    ...scripts,
    files: {
      "bosun.yaml": `agents:\n  codex:\n    model: ${CODEX_MODEL}\ndispatch:\n  retries: 0\n`,
    },
    message: "add bosun.yaml",
  });
  cleanups.push(() => workspace.cleanup());
  return workspace;
}

async function runBosunReview(workspace: Workspace, worker: string, reviewer: string) {
  const args = ["--json", "review", "--goal", GOAL, "--worker", worker, "--reviewer", reviewer];
  return runProcess({
    command: process.execPath,
    args: [BOSUN_CLI, ...args, "--max-rounds", "3", "--timeout", "30"],
    cwd: workspace.repo,
    env: workspace.env,
    isEnvIsolated: true,
    timeoutMs: SCENARIO_TIMEOUT_MS - 5_000,
  });
}

async function readJsonLines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function readRunFiles(repo: string) {
  const runsDir = join(repo, ".bosun", "runs");
  const runIds = (await readdir(runsDir)).filter((name) => !name.startsWith("."));
  expect(runIds).toHaveLength(1);
  const runDir = join(runsDir, runIds[0] ?? "");
  const run = JSON.parse(await readFile(join(runDir, "run.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const events = await readJsonLines(join(runDir, "events.jsonl"));
  const costs = await readJsonLines(join(repo, ".bosun", "costs.jsonl"));
  const roundDir = (round: number): string =>
    join(runDir, "tasks", TASK_ID, "rounds", String(round));
  return { run, events, costs, roundDir };
}

/** Every assertion both scenarios share: the loop, the tree, git, costs, events and prompts. */
async function expectTwoRoundApproval(
  workspace: Workspace,
  result: Awaited<ReturnType<typeof runBosunReview>>,
  roles: { worker: "claude" | "codex"; reviewer: "claude" | "codex" },
): Promise<void> {
  const { repo } = workspace;
  expect(
    result.exitCode,
    `stderr: ${result.stderrTail}\nstdout tail: ${result.stdout.slice(-2000)}`,
  ).toBe(0);
  expect(workspace.anthropic.unmatched).toEqual([]);
  expect(workspace.responses.unmatched).toEqual([]);

  const { run, events, costs, roundDir } = await readRunFiles(repo);
  expect(run).toMatchObject({ status: "succeeded", round: 2, taskId: TASK_ID });
  const printed =
    result.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .at(-1) ?? "{}";
  expect(JSON.parse(printed)).toMatchObject({
    type: "review.result",
    run: { status: "succeeded", round: 2 },
  });

  // The fixed file is on disk and committed; the tree is clean; one checkpoint per round.
  expect(await readFile(join(repo, "calc.js"), "utf8")).toBe(FIXED_SOURCE);
  expect(await runGitChecked(repo, workspace.env, ["status", "--porcelain"])).toBe("");
  const subjects = (await runGitChecked(repo, workspace.env, ["log", "--format=%s"])).split("\n");
  expect(subjects).toEqual([
    `bosun: ${TASK_ID} round 2 (worker checkpoint)`,
    `bosun: ${TASK_ID} round 1 (worker checkpoint)`,
    "add bosun.yaml",
    "initial commit",
  ]);
  const round1Source = await runGitChecked(repo, workspace.env, ["show", "HEAD~1:calc.js"]);
  expect(`${round1Source}\n`).toBe(BUGGY_SOURCE);

  // Both rounds passed the report and noop gates; the report's files match what git measured.
  const gates = events.filter((event) => event["type"] === "gate.completed");
  expect(gates.map((gate) => [gate["round"], gate["name"], gate["passed"]])).toEqual([
    [1, "report", true],
    [1, "noop", true],
    [2, "report", true],
    [2, "noop", true],
  ]);
  expect(gates.filter((gate) => gate["name"] === "report").map((gate) => gate["detail"])).toEqual([
    "valid work report",
    "valid work report",
  ]);

  // Review verdicts as journaled: changes required with one blocking issue, then approval.
  const reviews = events.filter((event) => event["type"] === "review.completed");
  expect(reviews).toMatchObject([
    { round: 1, decision: "changes_required", blockingIssues: 1 },
    { round: 2, decision: "approve", blockingIssues: 0 },
  ]);
  expect(events.filter((event) => event["type"] === "dispatch.failed")).toEqual([]);

  // Every dispatch journaled the CLI's session id.
  const dispatches = events.filter((event) => event["type"] === "dispatch.completed");
  expect(dispatches.map((event) => [event["round"], event["seat"], event["harness"]])).toEqual([
    [1, "worker", roles.worker],
    [1, "reviewer", roles.reviewer],
    [2, "worker", roles.worker],
    [2, "reviewer", roles.reviewer],
  ]);
  for (const event of dispatches) expect(event["sessionId"]).toMatch(/^[0-9a-f-]{36}$/);

  // Claude reports its cost; Codex's is estimated from its tokens and the gpt-5.5 price.
  expect(costs.map((line) => [line["round"], line["seat"], line["harness"]])).toEqual([
    [1, "worker", roles.worker],
    [1, "reviewer", roles.reviewer],
    [2, "worker", roles.worker],
    [2, "reviewer", roles.reviewer],
  ]);
  const price = DEFAULT_CONFIG.prices[CODEX_MODEL];
  if (price === undefined) throw new Error(`no default price for ${CODEX_MODEL}`);
  for (const line of costs) {
    expect(line["runId"]).toBe(run["id"]);
    expect(line["costUsd"]).toBeGreaterThan(0);
    expect(line["inputTokens"]).toBeGreaterThan(0);
    expect(line["outputTokens"]).toBeGreaterThan(0);
    if (line["harness"] === "claude") {
      expect(line["isCostEstimated"]).toBe(false);
      continue;
    }
    expect(line).toMatchObject({ isCostEstimated: true, model: CODEX_MODEL });
    const inputTokens = Number(line["inputTokens"]);
    const cachedInputTokens = Number(line["cachedInputTokens"]);
    const estimate =
      ((inputTokens - cachedInputTokens) * price.inputPerMTok +
        cachedInputTokens * (price.cachedInputPerMTok ?? price.inputPerMTok) +
        Number(line["outputTokens"]) * price.outputPerMTok) /
      1e6;
    // bosun rounds costs to the micro-dollar.
    expect(line["costUsd"]).toBeCloseTo(Math.round(estimate * 1e6) / 1e6, 9);
  }
  const totalUsd = costs.reduce((sum, line) => sum + Number(line["costUsd"]), 0);
  expect(run["costUsd"]).toBeCloseTo(totalUsd, 6);

  // The reviewer's blocking issue reached the round-2 worker: in bosun's prompt file and on the wire.
  const fixLine = `1. [high] ${BLOCKING_REASON} (calc.js) — from review`;
  expect(await readFile(join(roundDir(2), "worker", "prompt.md"), "utf8")).toContain(fixLine);
  const workerMock = roles.worker === "claude" ? workspace.anthropic : workspace.responses;
  const round2Prompts = workerMock.requests
    .filter((request) => request.conversation === `${roles.worker}-worker-2`)
    .map((request) => request.prompt ?? "");
  expect(round2Prompts.length).toBeGreaterThan(0);
  for (const prompt of round2Prompts) expect(prompt).toContain(fixLine);
  expect(await readFile(join(roundDir(1), "worker", "prompt.md"), "utf8")).not.toContain(
    "Fix list",
  );
}

describe("bosun review with real agent CLIs (claude-code 2.1.197, codex 0.169.0)", () => {
  it(
    "claude works, codex reviews: changes required in round 1, approved in round 2",
    { timeout: SCENARIO_TIMEOUT_MS },
    async () => {
      const workspace = await createWorkspace({
        claude: makeClaudeWorker,
        codex: makeCodexReviewer,
      });
      const result = await runBosunReview(workspace, "claude", "codex");
      await expectTwoRoundApproval(workspace, result, { worker: "claude", reviewer: "codex" });
    },
  );

  it(
    "codex works, claude reviews: changes required in round 1, approved in round 2",
    { timeout: SCENARIO_TIMEOUT_MS },
    async () => {
      const workspace = await createWorkspace({
        claude: makeClaudeReviewer,
        codex: makeCodexWorker,
      });
      const result = await runBosunReview(workspace, "codex", "claude");
      await expectTwoRoundApproval(workspace, result, { worker: "codex", reviewer: "claude" });
    },
  );
});
