import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { DEFAULT_CONFIG, WrittenConfigSchema } from "./config.js";

describe("WrittenConfigSchema", () => {
  it("accepts an empty document (every key is optional)", () => {
    expect(parseWithSchema({}, WrittenConfigSchema, "bosun.yaml")).toEqual({});
  });

  it("rejects a negative dispatch.timeoutSec, naming the path", () => {
    expect(() =>
      parseWithSchema({ dispatch: { timeoutSec: -1 } }, WrittenConfigSchema, "bosun.yaml"),
    ).toThrow(/^Invalid bosun\.yaml: dispatch\.timeoutSec: /);
  });

  it("rejects a non-integer review.maxRounds", () => {
    expect(() =>
      parseWithSchema({ review: { maxRounds: 1.5 } }, WrittenConfigSchema, "bosun.yaml"),
    ).toThrow(/review\.maxRounds: /);
  });

  it("rejects an unknown agent override key and a price without outputPerMTok", () => {
    expect(() =>
      parseWithSchema({ agents: { claude: { modle: "x" } } }, WrittenConfigSchema, "c"),
    ).toThrow(/agents\.claude: Unrecognized key.*"modle"/);
    expect(() =>
      parseWithSchema({ prices: { m: { inputPerMTok: 1 } } }, WrittenConfigSchema, "c"),
    ).toThrow(/prices\.m\.outputPerMTok: /);
  });

  it("accepts the defaults written out in full", () => {
    expect(() =>
      parseWithSchema({ version: 1, ...DEFAULT_CONFIG }, WrittenConfigSchema, "c"),
    ).not.toThrow();
  });
});
