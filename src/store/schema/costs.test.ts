import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { CostLineSchema } from "./costs.js";

function makeCostLine(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: "2026-11-22T12:00:00.000Z",
    runId: "r1",
    taskId: "T-001",
    round: 1,
    seat: "worker",
    harness: "codex",
    model: "gpt-5",
    inputTokens: 100,
    cachedInputTokens: 10,
    outputTokens: 5,
    costUsd: 0.001,
    isCostEstimated: true,
    ...overrides,
  };
}

describe("CostLineSchema", () => {
  it("accepts a valid line", () => {
    expect(parseWithSchema(makeCostLine(), CostLineSchema, "costs.jsonl")).toEqual(makeCostLine());
  });

  it("rejects a negative cost and a missing isCostEstimated, naming both", () => {
    const { isCostEstimated: _estimated, ...line } = makeCostLine({ costUsd: -0.5 });
    expect(() => parseWithSchema(line, CostLineSchema, "costs.jsonl")).toThrow(
      /^Invalid costs\.jsonl: costUsd: .*; isCostEstimated: /,
    );
  });
});
