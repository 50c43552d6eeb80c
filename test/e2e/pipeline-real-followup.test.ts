/**
 * `bosun pipeline` end to end with the real Codex (producer) and Claude Code (verifier) CLIs
 * against the mock model servers, through the built CLI: an audit that finds a gap starts a
 * follow-up run of the same task, which takes the gap on and completes.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ADD_SOURCE,
  MUL_SOURCE,
  PIPELINE_BOSUN_YAML,
  assertBosunBuilt,
  describeDispatches,
  eventsOf,
  getAuditPath,
  isPipelinePrompt,
  listRunIds,
  makeComplete,
  makeProducer,
  makeVerifier,
  readRunFiles,
  runBosunIsolated,
} from "../helpers/pipeline-real.js";
import { createRealAgentWorkspace } from "../helpers/real-agent-workspace.js";
import type { MockConversation } from "../mocks/mock-script.js";

const TASK_ID = "calc";
/** The follow-up scenario: the first run delivers add() only; its audit asks for mul(). */
const FOLLOWUP_INTENT = "Add add.mjs exporting add(a, b) and mul.mjs exporting mul(a, b).";
const REVISED_REQUEST = "Deliver the missing mul.mjs exporting mul(a, b).";
const AUDIT_GAP = "mul.mjs is missing: only add() was delivered.";

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => assertBosunBuilt());

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

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

describe("bosun pipeline with real agent CLIs: follow-up runs", () => {
  it("an audit that finds a gap starts a follow-up run of the task, which completes (codex produces, claude verifies)", async () => {
    const workspace = await createRealAgentWorkspace({
      claude: makeFollowupVerifiers,
      codex: makeFollowupProducers,
      files: { "bosun.yaml": PIPELINE_BOSUN_YAML },
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
