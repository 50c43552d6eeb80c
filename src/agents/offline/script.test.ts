import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import {
  createOfflineReport,
  getOfflineDispatch,
  isStepMatch,
  OfflineScriptSchema,
  readOfflineScript,
  type OfflineDispatch,
  type OfflineStep,
} from "./script.js";

const AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "offline-agent.ts");

describe("readOfflineScript", () => {
  it("reads a valid script", async () => {
    const dir = await makeTestDir({
      "s.json": '{"version": 1, "steps": [{"actions": [{"say": "hi"}]}]}',
    });
    expect(await readOfflineScript(path.join(dir, "s.json"))).toEqual({
      isValid: true,
      script: { version: 1, steps: [{ actions: [{ say: "hi" }] }] },
    });
  });

  it.each([
    ["garbage", "garbage", /^not valid JSON \(Unexpected token/],
    ["the wrong version", '{"version": 2, "steps": []}', /^version: /],
    [
      "an unknown action",
      '{"version": 1, "steps": [{"actions": [{"fly": 1}]}]}',
      /^steps\.0\.actions\.0: /,
    ],
  ])("says why a script with %s cannot be played", async (_what, body, why) => {
    const dir = await makeTestDir({ "s.json": body });
    const read = await readOfflineScript(path.join(dir, "s.json"));
    expect(read.isValid).toBe(false);
    expect(read.isValid ? "" : read.error).toMatch(why);
  });

  it("says when the script is missing or a directory", async () => {
    const dir = await makeTestDir();
    expect(await readOfflineScript(path.join(dir, "none.json"))).toEqual({
      isValid: false,
      error: "not found",
    });
    await mkdir(path.join(dir, "d.json"));
    expect(await readOfflineScript(path.join(dir, "d.json"))).toEqual({
      isValid: false,
      error: "it is a directory, not a file (EISDIR)",
    });
  });
});

function makeDispatch(overrides: Partial<OfflineDispatch> = {}): OfflineDispatch {
  return { taskId: "T-1", seat: "worker", round: 1, attempt: 1, runId: "run-1", ...overrides };
}

function makeStep(selectors: Omit<OfflineStep, "actions">): OfflineStep {
  return { ...selectors, actions: [] };
}

describe("isStepMatch", () => {
  it("selects by task: one id or a list, and never a dispatch without a task", () => {
    expect(isStepMatch(makeStep({ task: "T-1" }), makeDispatch())).toBe(true);
    expect(isStepMatch(makeStep({ task: "T-2" }), makeDispatch())).toBe(false);
    expect(isStepMatch(makeStep({ task: ["T-2", "T-1"] }), makeDispatch())).toBe(true);
    expect(isStepMatch(makeStep({ task: ["T-2", "T-3"] }), makeDispatch())).toBe(false);
    expect(isStepMatch(makeStep({ task: "T-1" }), makeDispatch({ taskId: undefined }))).toBe(false);
    expect(isStepMatch(makeStep({}), makeDispatch({ taskId: undefined }))).toBe(true);
  });

  it("selects by seat, with role as its old name", () => {
    const critic = makeDispatch({ seat: "critic" });
    expect(isStepMatch(makeStep({ seat: "critic" }), critic)).toBe(true);
    expect(isStepMatch(makeStep({ seat: "planner" }), critic)).toBe(false);
    expect(isStepMatch(makeStep({ role: "critic" }), critic)).toBe(true);
    expect(isStepMatch(makeStep({ role: "worker" }), critic)).toBe(false);
  });

  it("selects by phase (a pipeline's BOSUN_PHASE), and a phase step never plays for a dispatch without one", () => {
    const step = makeStep({ phase: "test/p1" });
    expect(isStepMatch(step, makeDispatch({ phase: "test/p1" }))).toBe(true);
    expect(isStepMatch(step, makeDispatch({ phase: "implement/p1" }))).toBe(false);
    expect(isStepMatch(step, makeDispatch())).toBe(false);
    expect(isStepMatch(makeStep({}), makeDispatch({ phase: "plan" }))).toBe(true);
    expect(getOfflineDispatch({ BOSUN_PHASE: "audit" })).toMatchObject({ phase: "audit" });
  });

  it("needs every selector a step sets to match", () => {
    const step = makeStep({ task: "T-1", seat: "worker", round: 2, attempt: 2 });
    expect(isStepMatch(step, makeDispatch({ round: 2, attempt: 2 }))).toBe(true);
    expect(isStepMatch(step, makeDispatch({ round: 2, attempt: 1 }))).toBe(false);
    expect(isStepMatch(step, makeDispatch({ round: 1, attempt: 2 }))).toBe(false);
    expect(isStepMatch(step, makeDispatch({ taskId: "T-9", round: 2, attempt: 2 }))).toBe(false);
  });
});

describe("OfflineScriptSchema", () => {
  it("still reads a script written before seats (role worker and reviewer)", () => {
    const old = {
      version: 1,
      steps: [
        { role: "worker", round: 1, actions: [{ say: "w" }] },
        { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
      ],
    };
    expect(OfflineScriptSchema.parse(old)).toEqual(old);
  });

  it("reads the team selectors, times and the fail action", () => {
    const script = {
      version: 1,
      steps: [
        {
          task: ["T-1", "T-2"],
          seat: "critic",
          times: 1,
          actions: [{ fail: { message: "429 rate limit exceeded", exitCode: 3 } }],
        },
        { task: "T-3", role: "planner", actions: [{ fail: { message: "overloaded" } }] },
      ],
    };
    expect(OfflineScriptSchema.parse(script)).toEqual(script);
  });

  it.each([
    [
      "both seat and role",
      { seat: "worker", role: "worker" },
      'steps.0.role: "role" is the old name of "seat"; give only "seat"',
    ],
    ["an unknown seat", { seat: "boss" }, /^steps\.0\.seat: /],
    ["times 0", { times: 0 }, /^steps\.0\.times: /],
    ["an empty task list", { task: [] }, "steps.0.task: must name at least one task"],
  ])("rejects a step with %s", (_what, selectors, why) => {
    const result = OfflineScriptSchema.safeParse({
      version: 1,
      steps: [{ ...selectors, actions: [] }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")).toMatch(
      why,
    );
  });
});

describe("getOfflineDispatch", () => {
  it("reads the seat from BOSUN_SEAT, else from BOSUN_ROLE (bosun before seats)", () => {
    const base = { BOSUN_TASK_ID: "T-1", BOSUN_ROUND: "2", BOSUN_ATTEMPT: "2", BOSUN_RUN_ID: "r" };
    expect(getOfflineDispatch({ ...base, BOSUN_SEAT: "critic", BOSUN_ROLE: "worker" })).toEqual({
      taskId: "T-1",
      seat: "critic",
      round: 2,
      attempt: 2,
      runId: "r",
    });
    expect(getOfflineDispatch({ BOSUN_ROLE: "reviewer" })).toEqual({
      seat: "reviewer",
      round: 1,
      attempt: 1,
    });
  });
});

describe("createOfflineReport", () => {
  it("fills in task_id and round for the seats that report on a round, unless given", () => {
    for (const seat of ["worker", "reviewer", "critic", undefined]) {
      expect(
        createOfflineReport({ decision: "approve" }, makeDispatch({ seat, round: 3 })),
      ).toEqual({ task_id: "T-1", round: 3, decision: "approve" });
    }
    expect(createOfflineReport({ round: 9 }, makeDispatch({ seat: "critic" }))).toEqual({
      task_id: "T-1",
      round: 9,
    });
  });

  it("writes a planner's plan, a pipeline verdict and a brain's reply exactly as given", () => {
    const plan = { version: 1, goal: "g", tasks: [] };
    expect(createOfflineReport(plan, makeDispatch({ seat: "planner" }))).toEqual(plan);
    const verdict = { verdict: "complete", summary: "s" };
    expect(createOfflineReport(verdict, makeDispatch({ seat: "verifier" }))).toEqual(verdict);
    expect(createOfflineReport({ act: "wait" }, makeDispatch({ seat: "brain" }))).toEqual({
      act: "wait",
    });
  });
});

describe("the offline agent with a bad script", () => {
  it("names the script file and agents.offline.script, not just a JSON parser's complaint", async () => {
    const dir = await makeTestDir();
    const script = path.join(dir, "script.json");
    await writeFile(script, "garbage");
    const result = spawnSync(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), AGENT, "--script", script],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `offline agent: invalid script ${script} (agents.offline.script): not valid JSON (Unexpected token`,
    );
    const final = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; text?: string })
      .at(-1);
    expect(final).toMatchObject({ type: "final", text: expect.stringContaining(script) as string });
  });
});
