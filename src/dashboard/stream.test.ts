import { describe, expect, it } from "vitest";
import { getResumeSeq, parseWholeNumber } from "./stream.js";

describe("parseWholeNumber", () => {
  it("takes decimal digits only, up to 15 of them", () => {
    expect(parseWholeNumber("0")).toBe(0);
    expect(parseWholeNumber("42")).toBe(42);
    expect(parseWholeNumber("999999999999999")).toBe(999_999_999_999_999);
    for (const text of ["", "-1", "1.5", "1e3", " 1", "0x10", "1234567890123456"])
      expect(parseWholeNumber(text), text).toBeUndefined();
  });
});

describe("getResumeSeq", () => {
  it("prefers Last-Event-ID, then ?since=, then 0", () => {
    expect(getResumeSeq("7", "3")).toBe(7);
    expect(getResumeSeq(undefined, "3")).toBe(3);
    expect(getResumeSeq(undefined, undefined)).toBe(0);
    expect(getResumeSeq("x", "3")).toBeUndefined();
  });
});
