import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeDispatchResult } from "../../../test/helpers/dispatch-result.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import type { AgentRunner } from "../../agents/dispatch.js";
import { loadConfig } from "../../store/config.js";
import { createBosunPaths } from "../../store/paths.js";
import { readPulseState, writeDecisionRecord } from "../../store/pulse-store.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { applyProposal, mineWeaknesses, proposeImprovements } from "./improve.js";
import type { PulseEnv } from "./pulse-env.js";

async function createEnv(replies: string[]): Promise<{ env: PulseEnv; calls: string[] }> {
  const root = await makeTestDir();
  const calls: string[] = [];
  const runner: AgentRunner = (request) => {
    calls.push(request.prompt);
    return Promise.resolve({ ...makeDispatchResult(0.02), finalText: replies.shift() ?? "" });
  };
  return {
    calls,
    env: {
      repoRoot: root,
      paths: createBosunPaths(root),
      config: { ...DEFAULT_CONFIG, pulse: { ...DEFAULT_CONFIG.pulse, brain: "offline" } },
      cliPath: "/nonexistent",
      runner,
      now: () => Date.parse("2026-12-03T12:00:00Z"),
      log: () => undefined,
    },
  };
}

describe("bosun pulse improve", () => {
  it("with no weakness files nothing and calls no model", async () => {
    const { env, calls } = await createEnv([]);
    expect(await proposeImprovements(env)).toEqual({ weaknesses: [], files: [], proposals: [] });
    expect(calls).toEqual([]);
  });

  it("mines rejected and failed moves, files the brain's proposals, and applies one only when asked", async () => {
    const { env, calls } = await createEnv([
      JSON.stringify({
        proposals: [
          {
            title: "Ask before deleting build output",
            rationale: "two deletes were rejected",
            target: "playbook",
            playbook: "# Playbook\nask-first: delete\n",
          },
          {
            title: "Fewer brain calls",
            rationale: "a failing command was retried too often",
            target: "config",
            config: { brainCallsPerHour: 6 },
          },
        ],
      }),
    ]);
    await writeDecisionRecord(env.paths, {
      version: 1,
      id: "D-20261203-110000-aaaa",
      createdAt: "2026-12-03T11:00:00.000Z",
      source: "brain",
      worldHash: "h",
      critique: "c",
      actions: [
        {
          index: 1,
          action: { type: "delete", path: "dist", reason: "stale" },
          gate: "ask",
          gateReason: "irreversible",
          status: "rejected",
        },
        {
          index: 2,
          action: { type: "run_command", command: "npm test", reason: "check" },
          gate: "run",
          gateReason: "allow-listed",
          status: "failed",
          error: "exited 1",
        },
      ],
    });
    const weaknesses = await mineWeaknesses(env);
    expect(weaknesses.map((w) => w.kind).sort()).toEqual(["failed-move", "rejected-move"]);
    const outcome = await proposeImprovements(env);
    expect(calls).toHaveLength(1);
    // Counted in the loop's budgets, as the beat's own calls are.
    const state = await readPulseState(env.paths);
    expect(state.brainCallTimesMs).toHaveLength(1);
    expect(state.spendUsdByDay["2026-12-03"]).toBe(0.02);
    await expect(
      proposeImprovements({
        ...env,
        config: { ...env.config, pulse: { ...env.config.pulse, brainCallsPerHour: 1 } },
      }),
    ).rejects.toThrow(/No proposals now: brain budget spent/);
    expect(calls[0]).toMatch(/rejected-move: 1 time/);
    expect(outcome.files.map((file) => file.split("/").at(-1))).toEqual(["1.md", "2.md"]);
    // Nothing applied yet.
    expect(await readFile(env.paths.pulse.playbookFile, "utf8").catch(() => "")).toBe("");

    await writeFile(
      env.paths.workspaceConfigFile,
      "# my settings\npulse:\n  approval: auto # keep\n",
    );
    expect(await applyProposal(env, 2)).toMatch(/pulse.brainCallsPerHour = 6/);
    const yaml = await readFile(env.paths.workspaceConfigFile, "utf8");
    expect(yaml).toContain("# my settings");
    expect(yaml).toContain("approval: auto # keep");
    expect((await loadConfig(env.repoRoot)).config.pulse.brainCallsPerHour).toBe(6);
    await applyProposal(env, 1);
    expect(await readFile(env.paths.pulse.playbookFile, "utf8")).toBe(
      "# Playbook\nask-first: delete\n",
    );
    await expect(applyProposal(env, 1)).rejects.toThrow(/applied already/);
    await expect(applyProposal(env, 9)).rejects.toThrow(/No proposal 9/);
  });
});
