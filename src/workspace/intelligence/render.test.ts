import { describe, expect, it } from "vitest";
import type { RepoIntelligence } from "../intelligence.js";
import { renderIntelligence } from "./render.js";

function makeIntel(overrides: Partial<RepoIntelligence> = {}): RepoIntelligence {
  return {
    root: "/repo",
    head: "0123456789abcdef0123456789abcdef01234567",
    scannedAt: "2026-01-02T03:04:05.000Z",
    fileCount: 12,
    languages: [
      { name: "TypeScript", files: 9 },
      { name: "Shell", files: 1 },
    ],
    packageManagers: [{ name: "npm", source: "package-lock.json" }],
    frameworks: [{ name: "Vitest", source: "package.json devDependencies" }],
    commands: [
      { kind: "test", command: "npm test", source: "package.json scripts.test: vitest run" },
      { kind: "lint", command: "npm run lint", source: "package.json scripts.lint: eslint ." },
    ],
    layout: [
      { name: "src", isDir: true, files: 9, note: "source" },
      { name: "tools", isDir: true, files: 1 },
      { name: "package.json", isDir: false, files: 1 },
    ],
    ci: ["GitHub Actions (.github/workflows)"],
    nestedManifests: [],
    check: null,
    warnings: [],
    ...overrides,
  };
}

describe("renderIntelligence", () => {
  it("lists every command kind, none found where there is none, then the stack and layout", () => {
    expect(renderIntelligence(makeIntel())).toMatchInlineSnapshot(`
      "# Repository intelligence

      Written by \`bosun learn\` at 2026-01-02T03:04:05.000Z (HEAD 0123456789ab, 12 files known to git).
      Use these commands as they are; do not invent others. Where it says none found, the repository defines none: say so rather than guess.

      ## Commands

      - test: \`npm test\` (from package.json scripts.test: vitest run)
      - build: none found
      - lint: \`npm run lint\` (from package.json scripts.lint: eslint .)
      - typecheck: none found
      - format: none found

      ## Test check

      Not run (\`bosun learn --check\` runs the test command once and records the result).

      ## Stack

      - Languages: TypeScript (9), Shell (1)
      - Package managers and build tools: npm (package-lock.json)
      - Frameworks and tools: Vitest (package.json devDependencies)
      - CI: GitHub Actions (.github/workflows)

      ## Layout

      - \`src/\` (9 files) — source
      - \`tools/\` (1 file)
      - \`package.json\`
      "
    `);
  });

  it("records a red check with its exit code, time, log and last lines, plus sub-projects and warnings", () => {
    const markdown = renderIntelligence(
      makeIntel({
        check: {
          command: "npm test",
          source: "package.json scripts.test: vitest run",
          status: "red",
          exitCode: 1,
          terminationReason: "exit",
          durationMs: 3_250,
          checkedAt: "2026-01-02T03:04:06.000Z",
          logFile: "/repo/.bosun/intelligence-check.log",
          tail: ["FAIL src/a.test.ts", "1 failed, 4 passed"],
        },
        nestedManifests: ["web/package.json"],
        warnings: [
          "package.json is not valid JSON (x); its scripts and dependencies were not read.",
        ],
      }),
    );
    expect(markdown).toContain(
      "**red**: `npm test` exited 1 after 3.3 s, at 2026-01-02T03:04:06.000Z (output in `.bosun/intelligence-check.log`).",
    );
    expect(markdown).toContain("````\nFAIL src/a.test.ts\n1 failed, 4 passed\n````");
    expect(markdown).toContain("## Sub-projects");
    expect(markdown).toContain("- `web/package.json`");
    expect(markdown).toContain("## Warnings\n\n- package.json is not valid JSON");
  });

  it("says a green check and a timeout plainly", () => {
    const check = {
      command: "make test",
      source: "Makefile target test",
      exitCode: 0,
      durationMs: 500,
      checkedAt: "2026-01-02T03:04:06.000Z",
      logFile: "/repo/.bosun/intelligence-check.log",
      tail: [],
    };
    expect(
      renderIntelligence(
        makeIntel({ check: { ...check, status: "green", terminationReason: "exit" } }),
      ),
    ).toContain("**green**: `make test` exited 0 after 0.5 s");
    expect(
      renderIntelligence(
        makeIntel({
          check: { ...check, status: "red", exitCode: null, terminationReason: "timeout" },
        }),
      ),
    ).toContain("**red**: `make test` timed out after 0.5 s");
  });
});
