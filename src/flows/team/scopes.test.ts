import { describe, expect, it } from "vitest";
import { findScopeOverlap, scopesOverlap } from "./scopes.js";

/** Whether two single scope entries overlap, checked both ways round (overlap is symmetric). */
function overlap(a: string, b: string): boolean {
  const forward = scopesOverlap([a], [b]);
  expect(scopesOverlap([b], [a])).toBe(forward);
  return forward;
}

describe("scopesOverlap", () => {
  it.each([
    ["src/a.ts", "src/a.ts"],
    ["src/store", "src/store/paths.ts"],
    ["src/store/", "src/store/schema/plan.ts"],
    ["./src/store", "src//store/paths.ts"],
    [".", "anything/at/all.md"],
    ["**", "README.md"],
    ["src/*.ts", "src/cli.ts"],
    ["src/*", "src/store"],
    ["src/*/", "src/store/paths.ts"],
    ["src/*/schema", "src/schema"],
    [".github", ".github/workflows/ci.yml"],
    ["v1.2", "v1.2/notes.md"],
    ["src/**/*.test.ts", "src/store/paths.test.ts"],
    ["src/**/*.test.ts", "src/a.test.ts"],
    ["**/paths.ts", "src/store/paths.ts"],
    ["src/**/*.ts", "src/store/**"],
    ["src/*/schema/*.ts", "src/store/*/plan.ts"],
    ["src/*.test.ts", "src/plan*"],
    ["src/?.ts", "src/a.*"],
    ["src/{cli,flows}/x.ts", "src/flows/"],
    ["{src,test}/**/*.{ts,mts}", "test/e2e/run.mts"],
    ["src/app/[id]/page.tsx", "src/app/[id]"],
    ["docs/**", "docs"],
    ["src/a**b.ts", "src/aXXb.ts"],
  ])("%s overlaps %s", (a, b) => {
    expect(overlap(a, b)).toBe(true);
  });

  it.each([
    ["src/a.ts", "src/b.ts"],
    ["src/store", "src/storefront/x.ts"],
    ["src/store/paths.ts", "src/flows"],
    ["src/*.ts", "src/cli.js"],
    ["src/*.ts", "test/cli.ts"],
    ["src/**/*.test.ts", "src/store/paths.ts"],
    ["docs/**", "src/docs.ts"],
    ["src/?.ts", "src/ab.ts"],
    ["src/{cli,flows}/x.ts", "src/store/"],
    ["src/app/[id]/page.tsx", "src/app/i/page.tsx"],
    ["*.md", "docs/README.md"],
    ["src/*/schema", "test/schema"],
    ["src/*", "src/store/paths.ts"],
    ["src/cli.ts", "src/**/*.test.ts"],
  ])("%s does not overlap %s", (a, b) => {
    expect(overlap(a, b)).toBe(false);
  });

  it("compares lists: any entry of one against any of the other", () => {
    expect(scopesOverlap(["src/a.ts", "docs/"], ["test/", "docs/x.md"])).toBe(true);
    expect(findScopeOverlap(["src/a.ts", "docs/"], ["test/", "docs/x.md"])).toEqual([
      "docs/",
      "docs/x.md",
    ]);
    expect(scopesOverlap(["src/a.ts"], ["src/b.ts", "test/"])).toBe(false);
    expect(scopesOverlap([], ["**"])).toBe(false);
  });

  it("says two scopes overlap when braces expand past the limit (the safe answer)", () => {
    const huge = "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/x.ts";
    expect(scopesOverlap([huge], ["zzz/y.ts"])).toBe(true);
    const fine = "{a,b}{a,b}{a,b}{a,b}/x.ts";
    expect(scopesOverlap([fine], ["zzz/y.ts"])).toBe(false);
  });

  it("reads braces without a comma, or unbalanced, as literal text", () => {
    expect(overlap("src/{x}.ts", "src/{x}.ts")).toBe(true);
    expect(overlap("src/{x}.ts", "src/x.ts")).toBe(false);
    expect(overlap("src/{a,b.ts", "src/{a,b.ts")).toBe(true);
    expect(overlap("src/{a,b.ts", "src/a.ts")).toBe(false);
  });
});
