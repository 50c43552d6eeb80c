import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AgentBudgetSpentError } from "../agents/attempt.js";
import type { AgentRunner, DispatchRequest } from "../agents/dispatch.js";
import { createHarnessPauses } from "../agents/harness-pause.js";
import { AgentError, CancelledError } from "../errors.js";
import { createBosunPaths } from "../store/paths.js";
import { createRunIndex, indexRunEvent } from "../store/run-index.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import { RunEventSchema, type RunEvent, type RunEventInput } from "../store/schema/events.js";
import { makeDispatchResult } from "../../test/helpers/dispatch-result.js";
import { makeGitRepo } from "../../test/helpers/git-repo.js";
import { getHead } from "../workspace/git.js";
import { runAgentStep, runSeatWithReprompt } from "./agent-step.js";
import type { BosunEvent } from "./events.js";
import type { DispatchBudget, RoundScope, RunContext } from "./flow-context.js";
import { TreeLooks } from "./tree-look.js";

describe("runAgentStep", () => {
  it("runs the agent through the context's runner with the config's stall limits and the run's pauses, journaling a pause", async () => {
    const repo = await makeGitRepo();
    const requests: DispatchRequest[] = [];
    const recorded: RunEventInput[] = [];
    const pauses = createHarnessPauses();
    const untilMs = Date.UTC(2026, 0, 15, 12, 0);
    const ctx: RunContext = {
      paths: createBosunPaths(repo),
      config: {
        ...DEFAULT_CONFIG,
        dispatch: {
          ...DEFAULT_CONFIG.dispatch,
          stallTimeoutSec: 120,
          toolCallTimeoutSec: 600,
          repeatedToolFailures: 3,
        },
      },
      runId: "r1",
      state: createRunIndex(),
      record: (event) => {
        recorded.push(event);
        return Promise.resolve(RunEventSchema.parse({ ...event, seq: recorded.length, ts: "t" }));
      },
      emit: () => undefined,
      pauses,
      runAgent: async (request) => {
        requests.push(request);
        await request.onPause?.({ harness: "claude", until: new Date(untilMs), reason: "429" });
        return makeDispatchResult();
      },
    };
    const scope = makeScope(repo);
    await runAgentStep(ctx, scope, {
      seat: "worker",
      attempt: 1,
      prompt: "do it",
      reportFile: `${repo}/work_report.json`,
      checkReport: () => Promise.resolve({ isValid: true }),
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      prompt: "do it",
      cwd: repo,
      timeoutMs: 60_000,
      stallTimeoutMs: 120_000,
      toolCallTimeoutMs: 600_000,
      repeatedToolFailures: 3,
    });
    expect(requests[0]?.harness.spec.name).toBe("claude");
    // The run's pauses reach every call, and a pause a call reports is journaled.
    expect(requests[0]?.pauses).toBe(pauses);
    expect(recorded.map((event) => event.type)).toEqual([
      "dispatch.started",
      "harness.paused",
      "dispatch.completed",
    ]);
    expect(recorded[1]).toEqual({
      type: "harness.paused",
      harness: "claude",
      until: "2026-01-15T12:00:00.000Z",
      reason: "429",
    });
    expect(await readFile(ctx.paths.costsFile, "utf8")).toContain('"costUsd":0.25');
  });
});

describe("runAgentStep with a role's model", () => {
  it("gives the worker its role's model and thinking, and every other seat the harness's own", async () => {
    const repo = await makeGitRepo();
    const requests: DispatchRequest[] = [];
    let seq = 0;
    const ctx: RunContext = {
      paths: createBosunPaths(repo),
      config: { ...DEFAULT_CONFIG, agents: { claude: { model: "sonnet" } } },
      runId: "r1",
      state: createRunIndex(),
      record: (event) => {
        seq += 1;
        return Promise.resolve(RunEventSchema.parse({ ...event, seq, ts: "t" }));
      },
      emit: () => undefined,
      runAgent: (request) => {
        requests.push(request);
        return Promise.resolve(makeDispatchResult());
      },
    };
    const scope: RoundScope = {
      taskId: "api",
      round: 1,
      cwd: repo,
      harnesses: { worker: "claude", critic: "claude" },
      role: "backend",
      workerModel: { model: "opus", thinking: "high" },
      maxRounds: 3,
      timeoutSec: 60,
      resumeCommand: "bosun run --resume r1",
    };
    const step = {
      attempt: 1,
      prompt: "p",
      reportFile: `${repo}/report.json`,
      checkReport: () => Promise.resolve({ isValid: true }),
    };
    await runAgentStep(ctx, scope, { ...step, seat: "worker" });
    await runAgentStep(ctx, scope, { ...step, seat: "critic" });
    expect(requests.map((request) => [request.harness.model, request.harness.thinking])).toEqual([
      ["opus", "high"],
      ["sonnet", ""],
    ]);
  });
});

describe("runAgentStep and bosun's look at the tree", () => {
  it("forgets the look before the agent runs and keeps the one taken after it: what the agent wrote is seen", async () => {
    const repo = await makeGitRepo();
    const looks = new TreeLooks();
    let seq = 0;
    const ctx: RunContext = {
      paths: createBosunPaths(repo),
      config: DEFAULT_CONFIG,
      runId: "r1",
      state: createRunIndex(),
      record: (event) => Promise.resolve(RunEventSchema.parse({ ...event, seq: ++seq, ts: "t" })),
      emit: () => undefined,
      looks,
      runAgent: async () => {
        await writeFile(path.join(repo, "agent.txt"), "written\n");
        return makeDispatchResult();
      },
    };
    // A look from before the agent: clean.
    looks.note(repo, { head: await getHead(repo), dirty: [] });

    await runAgentStep(ctx, makeScope(repo), {
      seat: "worker",
      attempt: 1,
      prompt: "do it",
      reportFile: `${repo}/work_report.json`,
      checkReport: () => Promise.resolve({ isValid: true }),
    });

    expect(looks.getFresh(repo)).toEqual({ head: await getHead(repo), dirty: ["agent.txt"] });
  });
});

/**
 * A run context whose journal is `recorded` (and indexed, as the store does) and whose agent
 * calls are `runAgent`, each request kept in `requests`; live events land in `emitted`.
 */
async function makeResumeContext(
  runAgent: AgentRunner,
  extra: Partial<RunContext> = {},
): Promise<{
  ctx: RunContext;
  repo: string;
  requests: DispatchRequest[];
  recorded: RunEvent[];
  emitted: BosunEvent[];
}> {
  const repo = await makeGitRepo();
  const requests: DispatchRequest[] = [];
  const recorded: RunEvent[] = [];
  const emitted: BosunEvent[] = [];
  const state = createRunIndex();
  const ctx: RunContext = {
    paths: createBosunPaths(repo),
    config: DEFAULT_CONFIG,
    runId: "r1",
    state,
    record: (input) => {
      const event = RunEventSchema.parse({ ...input, seq: recorded.length + 1, ts: "t" });
      recorded.push(event);
      indexRunEvent(state, event);
      return Promise.resolve(event);
    },
    emit: (event) => emitted.push(event),
    runAgent: (request) => {
      requests.push(request);
      return runAgent(request);
    },
    ...extra,
  };
  return { ctx, repo, requests, recorded, emitted };
}

const RESUME = { sessionId: "sess-1", freshPrompt: "the whole task, from the start" };

function makeResumeStep(repo: string): Parameters<typeof runAgentStep>[2] {
  return {
    seat: "worker",
    attempt: 1,
    prompt: "go on with the fix list",
    reportFile: `${repo}/work_report.json`,
    checkReport: () => Promise.resolve({ isValid: true }),
    resume: RESUME,
  };
}

function getWarnings(emitted: BosunEvent[]): string[] {
  return emitted.flatMap((event) => (event.type === "warning" ? [event.message] : []));
}

async function readCostLines(ctx: RunContext): Promise<unknown[]> {
  const text = await readFile(ctx.paths.costsFile, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line): unknown => JSON.parse(line));
}

describe("runAgentStep resuming a session", () => {
  it("continues the session with the short prompt, and journals that it did", async () => {
    const { ctx, repo, requests, recorded, emitted } = await makeResumeContext(() =>
      Promise.resolve({ ...makeDispatchResult(), sessionId: "sess-1" }),
    );
    await runAgentStep(ctx, makeScope(repo), makeResumeStep(repo));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ sessionId: "sess-1", prompt: "go on with the fix list" });
    expect(recorded.map((event) => event.type)).toEqual(["dispatch.started", "dispatch.completed"]);
    expect(recorded[0]).toMatchObject({ resumeSessionId: "sess-1" });
    expect(recorded[1]).toMatchObject({ sessionId: "sess-1", isSessionResumed: true });
    expect(getWarnings(emitted)).toEqual([]);
  });

  it("falls back to a fresh session with the whole context when the resume fails: one warning, one completion, one cost", async () => {
    const settled: Array<number | null> = [];
    const budget: DispatchBudget = {
      reserve: () => ({
        estimateUsd: 1,
        settle: (actualUsd) => settled.push(actualUsd),
        settleCapSpent: () => {
          throw new Error("not capped");
        },
      }),
    };
    const { ctx, repo, requests, recorded, emitted } = await makeResumeContext(
      (request) =>
        request.sessionId === undefined
          ? Promise.resolve({ ...makeDispatchResult(0.25), sessionId: "sess-2", spawns: 1 })
          : Promise.reject(
              new AgentError("claude exited with code 1: No conversation found with session ID", {
                isPermanent: true,
              }),
            ),
      { budget },
    );
    await runAgentStep(ctx, makeScope(repo), makeResumeStep(repo));

    expect(requests.map((request) => [request.sessionId, request.prompt])).toEqual([
      ["sess-1", "go on with the fix list"],
      [undefined, "the whole task, from the start"],
    ]);
    expect(getWarnings(emitted)).toEqual([
      "Could not resume claude session sess-1 (claude exited with code 1: No conversation found with session ID); starting a fresh session with the whole context.",
    ]);
    // One attempt: started once, completed once, with both calls' spawns and the cost once.
    expect(recorded.map((event) => event.type)).toEqual(["dispatch.started", "dispatch.completed"]);
    expect(recorded[0]).toMatchObject({ attempt: 1, resumeSessionId: "sess-1" });
    expect(recorded[1]).toMatchObject({
      attempt: 1,
      sessionId: "sess-2",
      isSessionResumed: false,
      costUsd: 0.25,
      spawns: 2,
    });
    expect(await readCostLines(ctx)).toEqual([expect.objectContaining({ costUsd: 0.25 })]);
    expect(settled).toEqual([0.25]);
  });

  it("does not start afresh after a spent budget or a stop: those end the attempt", async () => {
    const failures = [
      new AgentBudgetSpentError("claude spent its cap", { costUsd: 0.5 }),
      new CancelledError("claude was stopped."),
    ];
    for (const failure of failures) {
      const { ctx, repo, requests, recorded, emitted } = await makeResumeContext(() =>
        Promise.reject(failure),
      );
      await expect(runAgentStep(ctx, makeScope(repo), makeResumeStep(repo))).rejects.toBe(failure);
      expect(requests).toHaveLength(1);
      expect(getWarnings(emitted)).toEqual([]);
      expect(recorded.map((event) => event.type)).toEqual([
        "dispatch.started",
        failure instanceof CancelledError ? "dispatch.cancelled" : "dispatch.failed",
      ]);
    }
  });

  it("sends the whole context fresh to a harness that cannot resume", async () => {
    const { ctx, repo, requests, recorded } = await makeResumeContext(() =>
      Promise.resolve(makeDispatchResult()),
    );
    await runAgentStep(
      ctx,
      { ...makeScope(repo), harnesses: { worker: "amp" } },
      makeResumeStep(repo),
    );
    expect(requests[0]?.sessionId).toBeUndefined();
    expect(requests[0]?.prompt).toBe("the whole task, from the start");
    expect(recorded[0]).not.toHaveProperty("resumeSessionId");
    expect(recorded[1]).not.toHaveProperty("isSessionResumed");
  });
});

describe("runSeatWithReprompt keeping the session", () => {
  it("re-prompts in the session attempt 1 ended in, with only the rejection (whole prompt as the fallback)", async () => {
    const { ctx, repo, requests, recorded } = await makeResumeContext((request) =>
      Promise.resolve({ ...makeDispatchResult(), sessionId: request.sessionId ?? "sess-a1" }),
    );
    const scope = makeScope(repo);
    await ctx.record({ type: "round.started", taskId: scope.taskId, round: 1, head: "c0" });
    const checks = [
      { isValid: false, error: "no report was written" } as const,
      { isValid: true, report: "ok" } as const,
    ];
    const report = await runSeatWithReprompt(ctx, scope, {
      seat: "worker",
      basePrompt: "do the task\n",
      reportFile: `${repo}/work_report.json`,
      check: () =>
        Promise.resolve(checks.shift() ?? { isValid: false, error: "checked too often" }),
      isSessionKept: true,
    });

    expect(report).toEqual({ isValid: true, report: "ok" });
    const rejection = `## Your previous report was rejected\nno report was written\nWrite a corrected report to ${repo}/work_report.json.\n`;
    expect(requests.map((request) => [request.sessionId, request.prompt])).toEqual([
      [undefined, "do the task\n"],
      ["sess-a1", rejection],
    ]);
    expect(recorded.filter((event) => event.type === "dispatch.started")[1]).toMatchObject({
      attempt: 2,
      resumeSessionId: "sess-a1",
    });
  });

  it("resumes the given session on attempt 1, and re-prompts afresh with the whole context when no session came back", async () => {
    const { ctx, repo, requests } = await makeResumeContext(() =>
      Promise.resolve(makeDispatchResult()),
    );
    const scope = makeScope(repo);
    await ctx.record({ type: "round.started", taskId: scope.taskId, round: 1, head: "c0" });
    await runSeatWithReprompt(ctx, scope, {
      seat: "worker",
      basePrompt: "go on\n",
      reportFile: `${repo}/r.json`,
      check: () => Promise.resolve({ isValid: false, error: "bad" }),
      resume: { sessionId: "sess-0", freshPrompt: "whole\n" },
    });
    expect(requests.map((request) => [request.sessionId, request.prompt])).toEqual([
      ["sess-0", "go on\n"],
      [
        undefined,
        `whole\n\n## Your previous report was rejected\nbad\nWrite a corrected report to ${repo}/r.json.\n`,
      ],
    ]);
  });
});

describe("runSeatWithReprompt with a prompt addition (the human's messages)", () => {
  it("asks for it once, before the first attempt that runs, and adds it to the prompt and to a resume's fresh prompt", async () => {
    const { ctx, repo, requests } = await makeResumeContext(() =>
      Promise.resolve(makeDispatchResult()),
    );
    const scope = makeScope(repo);
    await ctx.record({ type: "round.started", taskId: scope.taskId, round: 1, head: "c0" });
    let asked = 0;
    const step = {
      seat: "worker" as const,
      basePrompt: "go on\n",
      reportFile: `${repo}/r.json`,
      check: () => Promise.resolve({ isValid: false, error: "bad" } as const),
      resume: { sessionId: "sess-0", freshPrompt: "whole\n" },
      readPromptAddition: () => {
        asked += 1;
        return Promise.resolve("+told\n");
      },
    };
    await runSeatWithReprompt(ctx, scope, step);
    expect(asked).toBe(1);
    expect(requests.map((request) => [request.sessionId, request.prompt])).toEqual([
      ["sess-0", "go on\n+told\n"],
      [
        undefined,
        `whole\n+told\n\n## Your previous report was rejected\nbad\nWrite a corrected report to ${repo}/r.json.\n`,
      ],
    ]);
    // Both attempts are journaled: no worker runs, so nothing is taken from the mailbox.
    await runSeatWithReprompt(ctx, scope, step);
    expect(asked).toBe(1);
    expect(requests).toHaveLength(2);
  });
});

function makeScope(repo: string): RoundScope {
  return {
    taskId: "T-001",
    round: 1,
    cwd: repo,
    harnesses: { worker: "claude" },
    maxRounds: 3,
    timeoutSec: 60,
    resumeCommand: "bosun run --resume r1",
  };
}
