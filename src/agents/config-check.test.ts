import { describe, expect, it } from "vitest";
import { ConfigError, UsageError } from "../errors.js";
import { resolveConfig } from "../store/config.js";
import type { WrittenConfig } from "../store/schema/config.js";
import {
  assertHarnessNames,
  checkHarnessFlag,
  getHarnessProblem,
  listHarnessIssues,
} from "./config-check.js";

function resolve(...layers: Array<[string, WrittenConfig]>): ReturnType<typeof resolveConfig> {
  return resolveConfig(layers.map(([source, data]) => ({ source, data })));
}

describe("listHarnessIssues", () => {
  it("names the file and the key of an unknown harness, with the known ones", () => {
    const issues = listHarnessIssues(
      resolve(
        ["/home/config.yaml", { review: { worker: "abc" } }],
        ["/repo/bosun.yaml", { review: { reviewer: "" } }],
      ),
    );
    expect(issues).toEqual([
      {
        file: "/home/config.yaml",
        key: "review.worker",
        message: expect.stringMatching(
          /^unknown harness "abc" \(known: claude, codex, .*manual\)$/,
        ) as string,
      },
      {
        file: "/repo/bosun.yaml",
        key: "review.reviewer",
        message: expect.stringMatching(/^no harness named \(known: claude/) as string,
      },
    ]);
  });

  it("accepts built-ins, manual, and agents defined by a template", () => {
    const resolved = resolve([
      "/repo/bosun.yaml",
      {
        review: { worker: "mytool", reviewer: "manual" },
        agents: { mytool: { template: "mytool {{prompt_file}}" }, claude: { model: "opus" } },
      },
    ]);
    expect(listHarnessIssues(resolved)).toEqual([]);
    expect(() => assertHarnessNames(resolved)).not.toThrow();
  });

  it("names an agents entry that is neither a built-in nor has a template", () => {
    const resolved = resolve(["/repo/bosun.yaml", { agents: { clade: { model: "opus" } } }]);
    expect(() => assertHarnessNames(resolved)).toThrow(ConfigError);
    expect(() => assertHarnessNames(resolved)).toThrow(
      /^Invalid \/repo\/bosun\.yaml: agents\.clade: "clade" is not a built-in harness and has no template; set agents\.clade\.template/,
    );
  });

  it('names pipeline.producer and pipeline.verifier when they name an unknown harness; "" picks one', () => {
    const resolved = resolve([
      "/repo/bosun.yaml",
      { pipeline: { producer: "claud", verifier: "" } },
    ]);
    expect(listHarnessIssues(resolved)).toEqual([
      {
        file: "/repo/bosun.yaml",
        key: "pipeline.producer",
        message: expect.stringMatching(/^unknown harness "claud"/) as string,
      },
    ]);
  });

  it("names the file and key of a team role whose harness is unknown; accepts known ones", () => {
    const resolved = resolve(
      ["/home/config.yaml", { team: { backend: { harness: "codx", model: "gpt-5.5" } } }],
      [
        "/repo/bosun.yaml",
        {
          team: { frontend: { harness: "claude" }, docs: { harness: "mytool" }, qa: {} },
          agents: { mytool: { template: "mytool {{prompt_file}}" } },
        },
      ],
    );
    expect(listHarnessIssues(resolved)).toEqual([
      {
        file: "/home/config.yaml",
        key: "team.backend.harness",
        message: expect.stringMatching(
          /^unknown harness "codx" \(known: claude, codex, /,
        ) as string,
      },
    ]);
    expect(() => assertHarnessNames(resolved)).toThrow(
      /^Invalid \/home\/config\.yaml: team\.backend\.harness: unknown harness "codx"/,
    );
  });

  it("does not take Object.prototype's members for harnesses", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"])
      expect(getHarnessProblem(name, {})).toMatch(/^unknown harness/);
  });
});

describe("checkHarnessFlag", () => {
  it("is a usage error naming the flag", () => {
    expect(() => checkHarnessFlag("--worker", "abc", {})).toThrow(UsageError);
    expect(() => checkHarnessFlag("--reviewer", "custom", {})).toThrow(
      /^Invalid --reviewer: harness "custom" needs a command template/,
    );
    expect(() => checkHarnessFlag("--worker", "codex", {})).not.toThrow();
  });
});
