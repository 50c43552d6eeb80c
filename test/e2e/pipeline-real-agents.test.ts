/**
 * `bosun pipeline` end to end with the real Claude Code (producer) and Codex (verifier) CLIs
 * against the mock model servers, through the built CLI: a full four-pair run on a sample
 * repository (two phases, the second depending on the first) where the test pair's verifier
 * sends its producer back once, and that producer resumes the session of its first iteration.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRealAgentWorkspace } from "../helpers/real-agent-workspace.js";
import {
  ADD_SOURCE,
  MUL_SOURCE,
  PIPELINE_BOSUN_YAML,
  assertBosunBuilt,
  describeDispatches,
  eventsOf,
  getAuditPath,
  getPlanPath,
  isPipelinePrompt,
  listRunIds,
  type JournalEvent,
  makeComplete,
  makeProducer,
  makeVerifier,
  readRunFiles,
  runBosunIsolated,
} from "../helpers/pipeline-real.js";
import type { MockConversation } from "../mocks/mock-script.js";

const TASK_ID = "calc";
/** The sample repository's test command: runs every *.test.mjs in one Node process (none at first). */
const RUN_TESTS = [
  'import { readdirSync } from "node:fs";',
  'for (const file of readdirSync(".").filter((name) => name.endsWith(".test.mjs")).sort())',
  "  await import(`./${file}`);",
  "",
].join("\n");
const VERIFY = "node run-tests.mjs";

const makeTest = (source: string, check: string): string =>
  `import assert from "node:assert/strict";\nimport ${source};\n${check}\n`;
const ADD_TEST = makeTest('{ add } from "./add.mjs"', "assert.equal(add(2, 3), 5);");
const MUL_TEST = makeTest('{ mul } from "./mul.mjs"', "assert.equal(mul(2, 3), 6);");
const MUL_ZERO_TEST = makeTest('{ mul } from "./mul.mjs"', "assert.equal(mul(7, 0), 0);");
/** What the test pair's verifier finds missing in its first iteration of phase p2. */
const MISSING_ZERO = "Cover mul() with a zero factor: mul(7, 0) must be 0.";

/**
 * The plan: p2 depends on p1 but is listed first, so the stage order proves bosun orders phases by
 * their dependencies, not by where the planner put them.
 */
const PLAN = {
  version: 1,
  phases: [
    {
      id: "p2",
      title: "mul() on top of add()",
      scope: "mul.mjs exporting mul(a, b) for non-negative integer b, built on add()",
      depends_on: ["p1"],
      acceptance_criteria: ["mul(2, 3) is 6", "mul(7, 0) is 0"],
      risks: [],
      rollback: "delete mul.mjs",
    },
    {
      id: "p1",
      title: "add()",
      scope: "add.mjs exporting add(a, b)",
      depends_on: [],
      acceptance_criteria: ["add(2, 3) is 5"],
      risks: [],
      rollback: "delete add.mjs",
    },
  ],
};

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => assertBosunBuilt());

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Claude produces every pair of the four-pair run. */
function makeFourPairProducers(repo: string): MockConversation[] {
  const producer = (
    name: string,
    phase: string,
    files: Parameters<typeof makeProducer>[1]["files"],
    iteration?: number,
  ): MockConversation =>
    makeProducer("claude", {
      name,
      taskId: TASK_ID,
      cwd: repo,
      match: isPipelinePrompt("producer", phase, iteration),
      ...(files === undefined ? {} : { files }),
    });
  return [
    producer("plan", "plan", (ctx) => ({
      [getPlanPath(ctx.prompt)]: `${JSON.stringify(PLAN, null, 2)}\n`,
    })),
    producer("implement-p1", "implement/p1", () => ({ "add.mjs": ADD_SOURCE })),
    producer("test-p1", "test/p1", () => ({ "add.test.mjs": ADD_TEST })),
    producer("implement-p2", "implement/p2", () => ({ "mul.mjs": MUL_SOURCE })),
    producer("test-p2-1", "test/p2", () => ({ "mul.test.mjs": MUL_TEST }), 1),
    producer("test-p2-2", "test/p2", () => ({ "mul-zero.test.mjs": MUL_ZERO_TEST }), 2),
    producer("audit", "audit", (ctx) => ({
      [getAuditPath(ctx.prompt)]: `${JSON.stringify({
        version: 1,
        delivered: ["add()", "mul()", "their tests"],
        gaps: [],
      })}\n`,
    })),
  ];
}

/** Codex verifies every pair; the test pair of p2 is sent back once. */
function makeFourPairVerifiers(): MockConversation[] {
  const phases = ["plan", "implement/p1", "test/p1", "implement/p2", "audit"];
  return [
    makeVerifier("codex", {
      name: "verify-test-p2-1",
      match: isPipelinePrompt("verifier", "test/p2", 1),
      verdict: () => ({
        verdict: "continue",
        missing: [MISSING_ZERO],
        summary: "mul(2, 3) is tested; the zero factor is not.",
      }),
    }),
    makeVerifier("codex", {
      name: "verify-test-p2-2",
      match: isPipelinePrompt("verifier", "test/p2", 2),
      verdict: () => makeComplete(),
    }),
    ...phases.map((phase) =>
      makeVerifier("codex", {
        name: `verify-${phase}`,
        match: isPipelinePrompt("verifier", phase),
        verdict: () => makeComplete(),
      }),
    ),
  ];
}

describe("bosun pipeline with real agent CLIs: four pairs", () => {
  it("runs plan → implement → test → audit over two dependent phases; the test verifier sends its producer back once", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: makeFourPairProducers,
      codex: makeFourPairVerifiers,
      files: { "bosun.yaml": PIPELINE_BOSUN_YAML, "run-tests.mjs": RUN_TESTS },
      message: "bosun.yaml and the test runner",
    });
    cleanups.push(() => workspace.cleanup());
    const { repo, env, anthropic, responses } = workspace;

    const outcome = await runBosunIsolated(
      [
        "--json",
        "pipeline",
        "--intent",
        "Add add.mjs with add(a, b) and mul.mjs with mul(a, b) built on add(), with tests that run-tests.mjs runs.",
        "--task-id",
        TASK_ID,
        "--producer",
        "claude",
        "--verifier",
        "codex",
        "--verify",
        VERIFY,
        "--max-iterations",
        "3",
        "--timeout",
        "60",
      ],
      { cwd: repo, env, timeoutMs: 110_000 },
    );
    expect(outcome.exitCode, `stderr:\n${outcome.stderr}`).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);

    const [runId = ""] = await listRunIds(repo);
    const { dir, run, events } = await readRunFiles(repo, runId);
    expect(run).toMatchObject({ flow: "pipeline", status: "succeeded", taskId: TASK_ID });
    expect(outcome.result).toMatchObject({ run: { id: runId, status: "succeeded" } });

    // Stage order: the plan, then each phase implemented and tested in dependency order, the
    // test pair of p2 twice, then the audit.
    expect(eventsOf(events, "phases.planned")).toMatchObject([{ phaseIds: ["p1", "p2"] }]);
    expect(
      eventsOf(events, "round.started").map((e) => `${String(e["phase"])}#${String(e["round"])}`),
    ).toEqual([
      "plan#1",
      "implement/p1#1",
      "test/p1#1",
      "implement/p2#1",
      "test/p2#1",
      "test/p2#2",
      "audit#1",
    ]);
    expect(
      eventsOf(events, "verdict.recorded").map(
        (e) => `${String(e["phase"])}:${String(e["verdict"])}`,
      ),
    ).toEqual([
      "plan:complete",
      "implement/p1:complete",
      "test/p1:complete",
      "implement/p2:complete",
      "test/p2:continue",
      "test/p2:complete",
      "audit:complete",
    ]);
    expect(describeDispatches(events, "dispatch.completed")).toEqual(
      [
        "plan#1",
        "implement/p1#1",
        "test/p1#1",
        "implement/p2#1",
        "test/p2#1",
        "test/p2#2",
        "audit#1",
      ].flatMap((at) => [`${at} worker claude`, `${at} verifier codex`]),
    );
    expect(eventsOf(events, "dispatch.failed")).toEqual([]);
    expect(eventsOf(events, "run.completed").at(-1)).toMatchObject({
      status: "succeeded",
      reason: "the audit (iteration 1) found no material gap",
    });

    // The producer's second iteration of test/p2 resumed the session its first ended in: bosun
    // gave the CLI that session's id, and the CLI continued it — the same session on the wire,
    // the first iteration's conversation sent again, then the short continuation prompt with
    // the verifier's missing item.
    const atTestP2 = (type: string, round: number, seat: string): JournalEvent | undefined =>
      eventsOf(events, type).find(
        (e) => e["phase"] === "test/p2" && e["round"] === round && e["seat"] === seat,
      );
    const sessionId = atTestP2("dispatch.completed", 1, "worker")?.["sessionId"];
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(atTestP2("dispatch.started", 2, "worker")).toMatchObject({ resumeSessionId: sessionId });
    expect(atTestP2("dispatch.completed", 2, "worker")).toMatchObject({
      sessionId,
      isSessionResumed: true,
    });
    const resumedRequests = anthropic.requests.filter((r) => r.conversation === "test-p2-2");
    expect(resumedRequests.length).toBeGreaterThan(0);
    for (const request of resumedRequests) {
      expect(request.headers["x-claude-code-session-id"]).toBe(sessionId);
      expect(request.turnIndex).toBeGreaterThan(request.promptTurnIndex ?? 0);
      expect(JSON.stringify(request.body)).toContain(
        "You are the PRODUCER of the test pair of a bosun pipeline, iteration 1 of at most 3 on phase p2.",
      );
      expect(request.prompt).toMatch(/^Iteration 2 of at most 3 of the test pair \(test\/p2\)/);
      expect(request.prompt).toContain(MISSING_ZERO);
    }
    // Every other call started a fresh session; a verifier never continues one.
    expect(
      eventsOf(events, "dispatch.started")
        .filter((e) => e["resumeSessionId"] !== undefined)
        .map((e) => `${String(e["phase"])}#${String(e["round"])} ${String(e["seat"])}`),
    ).toEqual(["test/p2#2 worker"]);

    // The verify gate ran for implement and test, never for plan or audit.
    expect(
      eventsOf(events, "gate.completed")
        .filter((e) => e["name"] === "verify")
        .map((e) => `${String(e["phase"])}#${String(e["round"])}:${String(e["passed"])}`),
    ).toEqual([
      "implement/p1#1:true",
      "test/p1#1:true",
      "implement/p2#1:true",
      "test/p2#1:true",
      "test/p2#2:true",
    ]);

    // The layout of the run.
    const artifacts = join(dir, "artifacts");
    for (const file of [
      "request.md",
      "events.jsonl",
      "run.json",
      "raw_phase_log.md",
      "artifacts/plan/plan.json",
      "artifacts/audit/audit.json",
    ])
      expect(existsSync(join(dir, file)), file).toBe(true);
    for (const phase of [
      "implement/phases/p1",
      "implement/phases/p2",
      "test/phases/p1",
      "test/phases/p2",
    ])
      expect(existsSync(join(artifacts, phase)), phase).toBe(true);
    expect(JSON.parse(await readFile(join(artifacts, "plan", "plan.json"), "utf8"))).toEqual(PLAN);
    const story = await readFile(join(dir, "raw_phase_log.md"), "utf8");
    expect(story).toContain("verdict **continue**");
    expect(story).toContain(MISSING_ZERO);
    // Every file the producers wrote is in the repository.
    for (const file of ["add.mjs", "mul.mjs", "add.test.mjs", "mul.test.mjs", "mul-zero.test.mjs"])
      expect(existsSync(join(repo, file)), file).toBe(true);
  }, 120_000);
});
