import { describe, expect, it } from "vitest";
import { orderPhases } from "./phase-order.js";

describe("orderPhases", () => {
  it("puts every phase after its dependencies, ties in plan order", () => {
    expect(
      orderPhases([
        { id: "ui", depends_on: ["api"] },
        { id: "docs", depends_on: [] },
        { id: "api", depends_on: ["db"] },
        { id: "db", depends_on: [] },
      ]),
    ).toEqual(["docs", "db", "api", "ui"]);
  });

  it("refuses a cycle instead of looping", () => {
    expect(() =>
      orderPhases([
        { id: "a", depends_on: ["b"] },
        { id: "b", depends_on: ["a"] },
      ]),
    ).toThrow(/cycle/);
  });
});
