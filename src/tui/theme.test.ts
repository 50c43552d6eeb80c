import { describe, expect, it } from "vitest";
import { getIdleTone, getSpendTone, getTheme, getToneProps } from "./theme.js";

describe("theme", () => {
  it("turns every colour off when NO_COLOR is set, to anything", () => {
    expect(getTheme({}).isColor).toBe(true);
    expect(getTheme({ NO_COLOR: "1" }).isColor).toBe(false);
    expect(getTheme({ NO_COLOR: "" }).isColor).toBe(false);
    expect(getToneProps({ isColor: false }, "red")).toEqual({});
    expect(getToneProps({ isColor: true }, "red")).toEqual({ color: "red" });
  });

  it("warns amber, then red, as an agent stays silent and as spend nears the cap", () => {
    expect([getIdleTone(59_000), getIdleTone(60_000), getIdleTone(300_000)]).toEqual([
      undefined,
      "yellow",
      "red",
    ]);
    expect([getSpendTone(7, 10), getSpendTone(8, 10), getSpendTone(9.5, 10)]).toEqual([
      undefined,
      "yellow",
      "red",
    ]);
    expect(getSpendTone(100, undefined)).toBeUndefined();
  });
});
