import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.js";
import { parsePairs } from "./pipeline.js";

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
