import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { DispatchRequest } from "../agents/dispatch.js";
import { createHarnessPauses } from "../agents/harness-pause.js";
import { createBosunPaths } from "../store/paths.js";
import { createRunIndex } from "../store/run-index.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import { RunEventSchema, type RunEventInput } from "../store/schema/events.js";
import { makeDispatchResult } from "../../test/helpers/dispatch-result.js";
import { makeGitRepo } from "../../test/helpers/git-repo.js";
import { getHead } from "../workspace/git.js";
import { runAgentStep } from "./agent-step.js";
import type { RoundScope, RunContext } from "./flow-context.js";
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
