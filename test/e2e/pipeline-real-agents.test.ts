/**
 * `bosun pipeline` end to end with the real Claude Code and Codex CLIs against the mock model
 * servers, through the built CLI: a full four-pair run on a sample repository (two phases, the
 * second depending on the first; the test pair's verifier sends its producer back once), and an
 * audit that finds a gap and starts a follow-up run that completes.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CODEX_MODEL, createRealAgentWorkspace } from "../helpers/real-agent-workspace.js";
import {
  assertBosunBuilt,
  describeDispatches,
  eventsOf,
  getAuditPath,
  getPlanPath,
  isPipelinePrompt,
  listRunIds,
  makeComplete,
  makeProducer,
  makeVerifier,
  readRunFiles,
  runBosunIsolated,
} from "../helpers/pipeline-real.js";
import type { MockConversation } from "../mocks/mock-script.js";

const TASK_ID = "calc";
const BOSUN_YAML = `agents:\n  codex:\n    model: ${CODEX_MODEL}\ndispatch:\n  retries: 0\n`;
/** The sample repository's test command: runs every *.test.mjs in one Node process (none at first). */
const RUN_TESTS = [
  'import { readdirSync } from "node:fs";',
  'for (const file of readdirSync(".").filter((name) => name.endsWith(".test.mjs")).sort())',
  "  await import(`./${file}`);",
  "",
].join("\n");
const VERIFY = "node run-tests.mjs";

const ADD_SOURCE = "export const add = (a, b) => a + b;\n";
const MUL_SOURCE = [
  'import { add } from "./add.mjs";',
  "export const mul = (a, b) => {",
  "  let product = 0;",
  "  for (let i = 0; i < b; i += 1) product = add(product, a);",
  "  return product;",
  "};",
  "",
].join("\n");
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

/** The follow-up scenario: the first run delivers add() only; its audit asks for mul(). */
const FOLLOWUP_INTENT = "Add add.mjs exporting add(a, b) and mul.mjs exporting mul(a, b).";
const REVISED_REQUEST = "Deliver the missing mul.mjs exporting mul(a, b).";
const AUDIT_GAP = "mul.mjs is missing: only add() was delivered.";

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

/** True for a prompt of the follow-up run (its request is the revised one). */
function isFollowupPrompt(prompt: string): boolean {
  return prompt.includes(`## The request (immutable)\n${REVISED_REQUEST}`);
}

/** Codex produces: add() first, the audit's gap, then mul() and a clean audit in the follow-up. */
function makeFollowupProducers(repo: string): MockConversation[] {
  const producer = (
    name: string,
    phase: string,
    isFollowup: boolean,
    files: Parameters<typeof makeProducer>[1]["files"],
  ): MockConversation =>
    makeProducer("codex", {
      name,
      taskId: TASK_ID,
      cwd: repo,
      match: (prompt) =>
        isPipelinePrompt("producer", phase)(prompt) && isFollowupPrompt(prompt) === isFollowup,
      files,
    });
  const audit = (gaps: string[]) => (ctx: { prompt: string }) => ({
    [getAuditPath(ctx.prompt)]: `${JSON.stringify({
      version: 1,
      delivered: ["add()"],
      gaps,
      ...(gaps.length === 0 ? {} : { revised_request: REVISED_REQUEST }),
    })}\n`,
  });
  return [
    producer("implement-1", "implement/all", false, () => ({ "add.mjs": ADD_SOURCE })),
    producer("audit-1", "audit", false, audit([AUDIT_GAP])),
    producer("implement-2", "implement/all", true, () => ({ "mul.mjs": MUL_SOURCE })),
    producer("audit-2", "audit", true, audit([])),
  ];
}

/** Claude verifies, and says complete to every pair of both runs. */
function makeFollowupVerifiers(): MockConversation[] {
  return ["implement/all", "audit"].map((phase) =>
    makeVerifier("claude", {
      name: `verify-${phase}`,
      match: isPipelinePrompt("verifier", phase),
      verdict: () => makeComplete(),
    }),
  );
}

describe("bosun pipeline with real agent CLIs (claude produces, codex verifies)", () => {
  it("runs plan → implement → test → audit over two dependent phases; the test verifier sends its producer back once", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: makeFourPairProducers,
      codex: makeFourPairVerifiers,
      files: { "bosun.yaml": BOSUN_YAML, "run-tests.mjs": RUN_TESTS },
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

    // The verifier's missing item reached the producer's second iteration on the wire.
    const secondPrompts = anthropic.requests
      .filter((request) => request.conversation === "test-p2-2")
      .map((request) => request.prompt ?? "");
    expect(secondPrompts.length).toBeGreaterThan(0);
    for (const prompt of secondPrompts) expect(prompt).toContain(MISSING_ZERO);

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

  it("an audit that finds a gap starts a follow-up run of the task, which completes (codex produces, claude verifies)", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: makeFollowupVerifiers,
      codex: makeFollowupProducers,
      files: { "bosun.yaml": BOSUN_YAML },
      message: "add bosun.yaml",
    });
    cleanups.push(() => workspace.cleanup());
    const { repo, env, anthropic, responses } = workspace;
    const outcome = await runBosunIsolated(
      [
        "--json",
        "pipeline",
        "--intent",
        FOLLOWUP_INTENT,
        "--task-id",
        TASK_ID,
        "--pairs",
        "implement,audit",
        "--producer",
        "codex",
        "--verifier",
        "claude",
        "--max-iterations",
        "2",
        "--timeout",
        "60",
      ],
      { cwd: repo, env, timeoutMs: 80_000 },
    );
    expect(outcome.exitCode, `stderr:\n${outcome.stderr}`).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);

    const [firstId = "", followupId = "", ...more] = await listRunIds(repo);
    expect(more).toEqual([]);
    const first = await readRunFiles(repo, firstId);
    const followup = await readRunFiles(repo, followupId);
    // The parent records its child and the child its parent; the call reports the follow-up.
    expect(first.run).toMatchObject({ status: "succeeded", followupRunId: followupId, depth: 0 });
    expect(eventsOf(first.events, "followup.started")).toMatchObject([
      { childRunId: followupId, gaps: 1 },
    ]);
    expect(followup.run).toMatchObject({
      status: "succeeded",
      parentRunId: firstId,
      depth: 1,
      taskId: TASK_ID,
    });
    expect(eventsOf(followup.events, "run.created")).toMatchObject([{ parentRunId: firstId }]);
    expect(outcome.result).toMatchObject({ run: { id: followupId, status: "succeeded" } });
    // The gap became the revised request, which is the follow-up's immutable request.
    const revised = join(first.dir, "artifacts", "audit", "revised_request.md");
    expect(await readFile(revised, "utf8")).toBe(`${REVISED_REQUEST}\n`);
    expect((await readFile(join(followup.dir, "request.md"), "utf8")).trim()).toBe(REVISED_REQUEST);
    expect(eventsOf(first.events, "run.completed").at(-1)?.["reason"]).toContain(
      `follow-up run ${followupId} takes them on`,
    );
    expect(eventsOf(followup.events, "run.completed").at(-1)?.["reason"]).toBe(
      "the audit (iteration 1) found no material gap",
    );
    // Each run went through both pairs once; the follow-up delivered what was missing.
    for (const events of [first.events, followup.events])
      expect(describeDispatches(events, "dispatch.completed")).toEqual([
        "implement/all#1 worker codex",
        "implement/all#1 verifier claude",
        "audit#1 worker codex",
        "audit#1 verifier claude",
      ]);
    expect(existsSync(join(repo, "mul.mjs"))).toBe(true);

    // --list-tasks shows the chain.
    const listed = await runBosunIsolated(["--json", "pipeline", "--list-tasks"], {
      cwd: repo,
      env,
      timeoutMs: 20_000,
    });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([
      {
        taskId: TASK_ID,
        runs: [
          { id: firstId, followupRunId: followupId, parentRunId: null },
          { id: followupId, parentRunId: firstId, followupRunId: null },
        ],
      },
    ]);
  }, 90_000);
});
