/**
 * `bosun learn [--check]` and `bosun roles`, through the built CLI: the intelligence file a real
 * repository gets, a real test command run green and red, and the role library with a project
 * override and `team:` from bosun.yaml.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  assertBosunBuilt,
  createBosunEnv,
  expectNoInternalError,
  runBosun,
  type BosunRun,
} from "../helpers/run-bosun.js";
import { makeTestDir, writeTree, type TestTree } from "../helpers/testdir.js";

beforeAll(() => assertBosunBuilt());

/** A git repository holding `tree`, and a hermetic `bosun` to run in it. */
async function makeRepo(tree: TestTree): Promise<{
  root: string;
  bosun: (...args: string[]) => Promise<BosunRun>;
}> {
  const dir = await realpath(await makeTestDir());
  const root = path.join(dir, "repo");
  await mkdir(root);
  await writeTree(root, tree);
  expect(spawnSync("git", ["init", "-q", "."], { cwd: root }).status).toBe(0);
  const env = createBosunEnv(path.join(dir, "home"));
  return { root, bosun: (...args) => runBosun(args, { cwd: root, env, timeoutMs: 60_000 }) };
}

/** A package.json whose `npm test` really runs, and fails when the file `red` exists. */
const NODE_PROJECT: TestTree = {
  "package.json": JSON.stringify({
    scripts: {
      test: "node -e \"const red = require('fs').existsSync('red'); console.log(red ? 'not ok 1' : 'ok 1'); process.exit(red ? 1 : 0)\"",
      lint: "eslint .",
    },
    devDependencies: { eslint: "^9.0.0" },
  }),
  "package-lock.json": "{}",
  "src/index.js": "",
};

describe("bosun learn", () => {
  it("writes .bosun/intelligence.md with the repository's real commands and keeps it out of git", async () => {
    const { root, bosun } = await makeRepo(NODE_PROJECT);
    const result = await bosun("learn");
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("Wrote .bosun/intelligence.md");
    const markdown = await readFile(path.join(root, ".bosun", "intelligence.md"), "utf8");
    expect(markdown).toContain("- test: `npm test` (from package.json scripts.test: node -e");
    expect(markdown).toContain("- lint: `npm run lint` (from package.json scripts.lint: eslint .)");
    expect(markdown).toContain("- build: none found");
    expect(markdown).toContain("- Package managers and build tools: npm (package-lock.json)");
    expect(markdown).toContain("Not run (`bosun learn --check`");
    expect(await readFile(path.join(root, ".git", "info", "exclude"), "utf8")).toContain(".bosun/");
    const status = spawnSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" });
    expect(status.stdout).not.toContain(".bosun");

    const json = await bosun("learn", "--json");
    expect(json.exitCode, json.stderr).toBe(0);
    const intel = JSON.parse(json.stdout) as { root: string; commands: unknown[]; check: unknown };
    expect(intel.root).toBe(root);
    expect(intel.commands).toEqual([
      expect.objectContaining({ kind: "test", command: "npm test" }),
      expect.objectContaining({ kind: "lint", command: "npm run lint" }),
    ]);
    expect(intel.check).toBeNull();
  });

  it("--check runs the test command once and records green, then red with exit 1", async () => {
    const { root, bosun } = await makeRepo(NODE_PROJECT);
    const green = await bosun("learn", "--check");
    expectNoInternalError(green);
    expect(green.exitCode, green.stderr).toBe(0);
    expect(green.stdout).toMatch(/check: green: npm test exited 0 in /);
    const file = path.join(root, ".bosun", "intelligence.md");
    expect(await readFile(file, "utf8")).toMatch(
      /\*\*green\*\*: `npm test` exited 0 after \d+\.\d s/,
    );
    const log = path.join(root, ".bosun", "intelligence-check.log");
    expect(await readFile(log, "utf8")).toContain("ok 1");

    await writeTree(root, { red: "" });
    const red = await bosun("learn", "--check");
    expectNoInternalError(red);
    expect(red.exitCode, red.stderr).toBe(1);
    expect(red.stdout).toMatch(/check: red: npm test exited 1 in /);
    const markdown = await readFile(file, "utf8");
    expect(markdown).toMatch(/\*\*red\*\*: `npm test` exited 1 after /);
    expect(markdown).toContain("not ok 1");
    expect(await readFile(log, "utf8")).toContain("not ok 1");
    expect(await readFile(log, "utf8")).not.toMatch(/^ok 1$/m);
  });

  it("--check with no test command warns and runs nothing; outside a repository is a usage error", async () => {
    const { root, bosun } = await makeRepo({ "README.md": "# notes\n" });
    const result = await bosun("learn", "--check");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain("--check: no test command found, so nothing was run.");
    expect(existsSync(path.join(root, ".bosun", "intelligence-check.log"))).toBe(false);
    expect(await readFile(path.join(root, ".bosun", "intelligence.md"), "utf8")).toContain(
      "- test: none found",
    );

    const outside = await bosun("--root", path.dirname(root), "learn");
    expectNoInternalError(outside);
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toContain("is not a git repository");
  });
});

describe("bosun roles", () => {
  it("--json lists the built-in library with project overrides, project roles and team assignments", async () => {
    const { bosun } = await makeRepo({
      "docs/roles/backend.md": "Our backend is Go; run make test.\n",
      "docs/roles/payments.md": "# Payments specialist\n\nOwns the ledger.\n",
      "bosun.yaml": "team:\n  backend: { harness: codex, model: gpt-5.5, paths: [server] }\n",
    });
    const result = await bosun("roles", "--json");
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { roles, warnings } = JSON.parse(result.stdout) as {
      roles: Array<{
        id: string;
        prompt: string;
        promptFile: string | null;
        isBuiltIn: boolean;
        team: unknown;
      }>;
      warnings: string[];
    };
    expect(roles.filter((role) => role.isBuiltIn).length).toBeGreaterThanOrEqual(27);
    expect(new Set(roles.map((role) => role.id)).size).toBe(roles.length);
    expect(roles.find((role) => role.id === "backend")).toMatchObject({
      prompt: "Our backend is Go; run make test.",
      promptFile: "docs/roles/backend.md",
      team: { harness: "codex", model: "gpt-5.5", paths: ["server"] },
    });
    expect(roles.find((role) => role.id === "security")?.prompt).toContain(
      "You are the team's Security engineer.",
    );
    expect(roles.at(-1)).toMatchObject({
      id: "payments",
      isBuiltIn: false,
      promptFile: "docs/roles/payments.md",
    });
    expect(warnings).toEqual([]);
  });

  it("prints one role's prompt, and refuses an unknown role and an unknown team harness", async () => {
    const { bosun } = await makeRepo({
      "bosun.yaml": "team:\n  qa: { harness: codx }\n",
    });
    const bad = await bosun("roles");
    expectNoInternalError(bad);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/bosun\.yaml: team\.qa\.harness: unknown harness "codx"/);

    const { bosun: clean } = await makeRepo({});
    const one = await clean("roles", "qa");
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stdout).toContain("QA engineer (qa)");
    expect(one.stdout).toContain("What you never do:");
    const unknown = await clean("roles", "nope");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('Unknown role "nope"');
  });
});
