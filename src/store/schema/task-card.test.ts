import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { SAFE_ID_RULE } from "../paths.js";
import { TaskCardSchema } from "./task-card.js";

/** A loop-kit task_card.json, exactly as loop-kit writes it. */
function makeLoopKitCard(): Record<string, unknown> {
  return {
    task_id: "T-001",
    goal: "Add a --help flag",
    in_scope: ["src/cli.js"],
    out_of_scope: ["other flags"],
    acceptance_criteria: ["--help prints usage", "exit 0"],
    constraints: ["no new dependencies"],
  };
}

describe("TaskCardSchema", () => {
  it("accepts a loop-kit task_card.json as is", () => {
    expect(parseWithSchema(makeLoopKitCard(), TaskCardSchema, "task_card.json")).toEqual(
      makeLoopKitCard(),
    );
  });

  it("defaults the list fields of a minimal card", () => {
    expect(
      parseWithSchema({ task_id: "T-2", goal: "g" }, TaskCardSchema, "task_card.json"),
    ).toEqual({
      task_id: "T-2",
      goal: "g",
      in_scope: [],
      out_of_scope: [],
      acceptance_criteria: [],
      constraints: [],
    });
  });

  it("rejects a card without a goal, naming the field", () => {
    const { goal: _goal, ...card } = makeLoopKitCard();
    expect(() => parseWithSchema(card, TaskCardSchema, "task_card.json")).toThrow(
      /^Invalid task_card\.json: goal: .*expected string/,
    );
  });

  it("rejects an empty goal and a task_id that is not a safe directory name", () => {
    expect(() =>
      parseWithSchema({ ...makeLoopKitCard(), goal: "" }, TaskCardSchema, "c.json"),
    ).toThrow(/goal: /);
    expect(() =>
      parseWithSchema({ ...makeLoopKitCard(), task_id: "../escape" }, TaskCardSchema, "c.json"),
    ).toThrow(`task_id: ${SAFE_ID_RULE}`);
  });

  it("rejects a list field holding a non-string, naming its index", () => {
    expect(() =>
      parseWithSchema(
        { ...makeLoopKitCard(), acceptance_criteria: ["ok", 3] },
        TaskCardSchema,
        "c.json",
      ),
    ).toThrow(/acceptance_criteria\.1: /);
  });
});
