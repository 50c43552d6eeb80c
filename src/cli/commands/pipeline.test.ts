import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../errors.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import type { PipelineRun } from "../../store/schema/run.js";
import { parsePairs, pickHarnesses, pickRunToResume } from "./pipeline.js";

describe("parsePairs", () => {
  it("takes a comma list or bosun.yaml's list, trimmed, in the pairs' order", () => {
    expect(parsePairs("plan,implement,test,audit")).toEqual(["plan", "implement", "test", "audit"]);
    expect(parsePairs(" implement , test ,")).toEqual(["implement", "test"]);
    expect(parsePairs(["plan", "audit"])).toEqual(["plan", "audit"]);
  });

  it("refuses an empty list, an unknown pair, a pair twice and pairs out of order, saying what to give", () => {
    const refusals: Array<[string | string[], string]> = [
      [",", "--pairs is empty: give some of plan,implement,test,audit."],
      [[], "--pairs is empty: give some of plan,implement,test,audit."],
      [
        "plan,review",
        '--pairs: "review" is not a pair; the pairs are plan, implement, test, audit.',
      ],
      ["test,test", "--pairs names test twice."],
      [
        "test,implement",
        "--pairs must keep the order plan,implement,test,audit (got test,implement).",
      ],
    ];
    for (const [value, message] of refusals) {
      expect(() => parsePairs(value)).toThrow(UsageError);
      expect(() => parsePairs(value)).toThrow(message);
    }
  });
});

describe("pickHarnesses", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("defaults both seats to claude when no agent CLI is installed, trying only harnesses bosun knows", async () => {
    // No CLI on PATH or in a home install path: every preferred harness is looked up, none found.
    const home = await mkdtemp(path.join(os.tmpdir(), "bosun-no-agents-"));
    try {
      vi.stubEnv("PATH", "");
      vi.stubEnv("HOME", home);
      await expect(pickHarnesses("", "", DEFAULT_CONFIG)).resolves.toEqual({
        producer: "claude",
        verifier: "claude",
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("keeps the seats bosun.yaml or the flags name", async () => {
    await expect(pickHarnesses("codex", "offline", DEFAULT_CONFIG)).resolves.toEqual({
      producer: "codex",
      verifier: "offline",
    });
  });
});

describe("pickRunToResume", () => {
  function makeRun(id: string, status: PipelineRun["status"], parentRunId?: string): PipelineRun {
    return {
      version: 2,
      id,
      status,
      createdAt: id,
      updatedAt: id,
      title: "t",
      baseCommit: "",
      costUsd: 0,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      eventCount: 1,
      openAskIds: [],
      round: 0,
      step: "created",
      headCommit: "",
      flow: "pipeline",
      taskId: "t",
      depth: parentRunId === undefined ? 0 : 1,
      options: {
        pairs: ["audit"],
        maxIterations: 1,
        phaseMode: "single",
        producer: "offline",
        verifier: "offline",
        verify: "",
        isFullAutoAnswers: false,
        isGitDisabled: false,
        isFollowupEnabled: true,
        followupDepth: 3,
        timeoutSec: 0,
      },
      ...(parentRunId === undefined ? {} : { parentRunId }),
    };
  }

  it("takes the latest unfinished run, but a parent killed after making its follow-up over that follow-up", () => {
    const done = makeRun("a", "succeeded");
    const failed = makeRun("b", "failed");
    expect(pickRunToResume([done, failed])?.id).toBe("b");
    const parent = makeRun("c", "running");
    const child = makeRun("d", "running", "c");
    expect(pickRunToResume([done, parent, child])?.id).toBe("c");
    // Once the parent finished, its follow-up is next.
    expect(pickRunToResume([done, makeRun("c", "succeeded"), child])?.id).toBe("d");
    expect(pickRunToResume([done])?.id).toBe("a");
    expect(pickRunToResume([])).toBeUndefined();
  });
});
