import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { RunSchema, type Run } from "./run.js";

function makeRun(overrides: Partial<Record<keyof Run, unknown>> = {}): Record<string, unknown> {
  return {
    version: 2,
    id: "r1",
    flow: "review",
    status: "running",
    createdAt: "2026-11-22T12:00:00.000Z",
    updatedAt: "2026-11-22T12:00:00.000Z",
    taskId: "T-001",
    title: "t",
    baseCommit: "a",
    headCommit: "a",
    round: 0,
    step: "created",
    options: { worker: "claude", reviewer: "codex", maxRounds: 3, verify: "", timeoutSec: 0 },
    costUsd: 0,
    tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    eventCount: 1,
    openAskIds: [],
    ...overrides,
  };
}

describe("RunSchema", () => {
  it("accepts a valid snapshot", () => {
    expect(parseWithSchema(makeRun(), RunSchema, "run.json")).toEqual(makeRun());
  });

  it("rejects an unknown status, naming the field", () => {
    expect(() => parseWithSchema(makeRun({ status: "sleeping" }), RunSchema, "run.json")).toThrow(
      /^Invalid run\.json: status: /,
    );
  });

  it("rejects options.maxRounds 0 and negative token counts, naming the nested paths", () => {
    expect(() =>
      parseWithSchema(
        makeRun({
          options: { worker: "a", reviewer: "b", maxRounds: 0, verify: "", timeoutSec: 0 },
        }),
        RunSchema,
        "run.json",
      ),
    ).toThrow(/options\.maxRounds: /);
    expect(() =>
      parseWithSchema(
        makeRun({ tokens: { inputTokens: -5, cachedInputTokens: 0, outputTokens: 0 } }),
        RunSchema,
        "run.json",
      ),
    ).toThrow(/tokens\.inputTokens: /);
  });

  it("rejects a document without version", () => {
    const { version: _version, ...run } = makeRun();
    expect(() => parseWithSchema(run, RunSchema, "run.json")).toThrow(/version: /);
  });
});
