/** Unit tests for the plain-text parser. */
import { describe, expect, it } from "vitest";
import { parsePlainLine } from "./parse.js";

describe("parsePlainLine", () => {
  it("turns each non-empty line into text, unchanged", () => {
    expect(parsePlainLine("  Editing src/app.ts")).toEqual([
      { type: "text", text: "  Editing src/app.ts" },
    ]);
  });

  it("keeps JSON-looking lines as text too", () => {
    expect(parsePlainLine('{"type":"result"}')).toEqual([
      { type: "text", text: '{"type":"result"}' },
    ]);
  });

  it("returns nothing for blank lines", () => {
    expect(parsePlainLine("")).toEqual([]);
    expect(parsePlainLine(" \t ")).toEqual([]);
  });
});
