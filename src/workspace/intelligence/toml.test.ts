import { describe, expect, it } from "vitest";
import { getRequirementName, scanToml } from "./toml.js";

describe("scanToml", () => {
  it("reads Poetry dependency tables by key, leaving out python", () => {
    const facts = scanToml(
      [
        "[tool.poetry]",
        'name = "x"',
        "[tool.poetry.dependencies]",
        'python = "^3.11"',
        'Django = "^5"',
        "[tool.poetry.group.dev.dependencies]",
        'pytest = { version = "^8" }',
      ].join("\n"),
    );
    expect([...facts.dependencies]).toEqual(["django", "pytest"]);
    expect(facts.tables.has("tool.poetry")).toBe(true);
  });

  it("reads PEP 621 arrays on one line or many, optional groups, and PEP 735 groups", () => {
    const facts = scanToml(
      [
        "[project]",
        'dependencies = ["numpy>=2", "pandas"]',
        'description = "django helpers" # not a dependency',
        "[project.optional-dependencies]",
        "ml = [",
        '  "torch==2.5",  # pinned',
        '  "scikit_learn[extra]",',
        "]",
        "[dependency-groups]",
        'test = ["pytest"]',
      ].join("\n"),
    );
    expect([...facts.dependencies]).toEqual(["numpy", "pandas", "torch", "scikit-learn", "pytest"]);
  });

  it("reads Cargo tables, per-dependency tables and target-specific ones, ignoring comments", () => {
    const facts = scanToml(
      [
        "# [dependencies]",
        "[dependencies]",
        'serde = { version = "1", features = ["derive"] }',
        "[dependencies.tokio]",
        'version = "1"',
        "[target.'cfg(unix)'.dependencies]",
        'nix = "0.29"',
        "[dev-dependencies]",
        'insta = "1"',
      ].join("\n"),
    );
    expect([...facts.dependencies]).toEqual(["serde", "tokio", "nix", "insta"]);
  });

  it("reads pdm's dev-dependency groups as requirement arrays, not as names", () => {
    const facts = scanToml('[tool.pdm.dev-dependencies]\nlint = ["ruff>=0.5"]\n');
    expect([...facts.dependencies]).toEqual(["ruff"]);
  });
});

describe("getRequirementName", () => {
  it("takes the name before extras, versions and markers, normalized", () => {
    expect(getRequirementName('Foo_Bar.baz[x]>=1; python_version<"3.12"')).toBe("foo-bar-baz");
    expect(getRequirementName("  ")).toBeUndefined();
  });
});
