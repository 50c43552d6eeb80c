import { describe, expect, it } from "vitest";
import { formatConfigIssues, getKnownKeys, suggestKey } from "./config-issues.js";

describe("suggestKey", () => {
  it.each([
    ["maxRound", ["worker", "reviewer", "maxRounds", "verify"], "maxRounds"],
    ["reveiw", ["version", "review", "dispatch", "agents", "prices"], "review"],
    ["timeout", ["timeoutSec", "retries", "graceSec"], "timeoutSec"],
    ["MAXROUNDS", ["maxRounds"], "maxRounds"],
    ["modle", ["command", "model", "thinking"], "model"],
    ["zzz", ["worker", "reviewer"], undefined],
    ["x", ["args"], undefined],
  ])("suggests for %j among %j: %j", (unknown, known, expected) => {
    expect(suggestKey(unknown, known)).toBe(expected);
  });
});

describe("getKnownKeys", () => {
  it("walks the config schema, through records", () => {
    expect(getKnownKeys([])).toEqual([
      "version",
      "review",
      "pipeline",
      "dispatch",
      "agents",
      "prices",
      "worktree",
      "notify",
      "pulse",
      "team",
    ]);
    expect(getKnownKeys(["review"])).toEqual(["worker", "reviewer", "maxRounds", "verify"]);
    expect(getKnownKeys(["agents", "anything"])).toContain("script");
    expect(getKnownKeys(["prices", "gpt-5"])).toEqual([
      "inputPerMTok",
      "cachedInputPerMTok",
      "outputPerMTok",
    ]);
    expect(getKnownKeys(["review", "worker"])).toEqual([]);
  });
});

describe("formatConfigIssues", () => {
  it("puts a whole-file problem as file:line and key problems with their lines, per file", () => {
    expect(formatConfigIssues([{ file: "/a.yaml", line: 3, key: "", message: "bad indent" }])).toBe(
      "Invalid /a.yaml:3: bad indent",
    );
    expect(
      formatConfigIssues([
        { file: "/a.yaml", line: 2, key: "review.x", message: "unknown key" },
        { file: "/a.yaml", key: "dispatch", message: "expected object" },
        { file: "/b.yaml", key: "review.worker", message: 'unknown harness "abc"' },
      ]),
    ).toBe(
      'Invalid /a.yaml: review.x: unknown key (line 2); dispatch: expected object. Invalid /b.yaml: review.worker: unknown harness "abc"',
    );
  });
});
