import { describe, expect, it } from "vitest";
import {
  IRREVERSIBLE_ACTIONS,
  MAX_ACTIONS_PER_DECISION,
  createPulseDecisionSchema,
} from "./pulse-decision.js";

const NOOP = { type: "noop", reason: "nothing changed that matters" };

describe("the pulse brain's decision", () => {
  it("takes a critique and one typed move by default", () => {
    const schema = createPulseDecisionSchema();
    expect(
      schema.parse({
        critique: "CI is red on main.",
        actions: [{ type: "start_run", flow: "review", request: "Fix the failing test." }],
        next_interval_s: 600,
      }),
    ).toMatchObject({ actions: [{ type: "start_run", flow: "review" }] });
    expect(schema.safeParse({ critique: "Two moves.", actions: [NOOP, NOOP] }).success).toBe(false);
    expect(schema.safeParse({ critique: "No move.", actions: [] }).success).toBe(false);
  });

  it("refuses a move it does not know, a bad id, or a flow it cannot start", () => {
    const schema = createPulseDecisionSchema();
    const refused = [
      { type: "rm_rf", path: "/" },
      { type: "write_goal", id: "../escape", text: "x" },
      { type: "start_run", flow: "deploy", request: "x" },
    ];
    for (const action of refused)
      expect(schema.safeParse({ critique: "c", actions: [action] }).success).toBe(false);
  });

  it("allows up to the configured number of moves, never more than the cap", () => {
    const many = Array.from({ length: MAX_ACTIONS_PER_DECISION + 1 }, () => NOOP);
    expect(
      createPulseDecisionSchema(3).safeParse({ critique: "c", actions: many.slice(0, 3) }).success,
    ).toBe(true);
    expect(
      createPulseDecisionSchema(3).safeParse({ critique: "c", actions: many.slice(0, 4) }).success,
    ).toBe(false);
    expect(createPulseDecisionSchema(50).safeParse({ critique: "c", actions: many }).success).toBe(
      false,
    );
  });

  it("names merge, deploy and delete as the moves that cannot be taken back", () => {
    expect([...IRREVERSIBLE_ACTIONS].sort()).toEqual(["delete", "deploy", "merge"]);
  });
});
