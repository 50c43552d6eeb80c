import { rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir, type TestTree } from "../../test/helpers/testdir.js";
import { UsageError } from "../errors.js";
import { runGit } from "./git.js";
import { getTestCommand, scanRepo } from "./intelligence.js";
import { renderIntelligence } from "./intelligence/render.js";

const NOW = new Date("2026-01-02T03:04:05.000Z");

/** A fresh git repository holding `tree` (untracked, as a new project would be). */
async function makeRepo(tree: TestTree): Promise<string> {
  const dir = await makeTestDir(tree);
  await runGit(dir, ["init", "-q"]);
  return dir;
}

/** `kind: command` lines, the shape agents read. */
function listCommands(intel: Awaited<ReturnType<typeof scanRepo>>): string[] {
  return intel.commands.map((c) => `${c.kind}: ${c.command} (${c.source})`);
}

describe("scanRepo", () => {
  it("reads a Node project: lockfile manager, scripts as that manager runs them, frameworks", async () => {
    const root = await makeRepo({
      "package.json": JSON.stringify({
        scripts: {
          test: "vitest run",
          "test:e2e": "playwright test",
          build: "vite build",
          lint: "eslint .",
          typecheck: "tsc --noEmit",
          dev: "vite",
        },
        dependencies: { react: "^19.0.0", "left-pad": "1.0.0" },
        devDependencies: { vitest: "^4.0.0", typescript: "^5.9.0" },
      }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "src/app.tsx": "",
      "src/main.ts": "",
      "test/app.test.ts": "",
      "README.md": "# app\n",
      ".gitignore": "dist/\n",
      "dist/bundle.js": "",
      ".bosun/runs/x/run.json": "{}",
    });
    const intel = await scanRepo(root, { now: NOW });
    expect(listCommands(intel)).toEqual([
      "test: pnpm test (package.json scripts.test: vitest run)",
      "test: pnpm run test:e2e (package.json scripts.test:e2e: playwright test)",
      "build: pnpm run build (package.json scripts.build: vite build)",
      "lint: pnpm run lint (package.json scripts.lint: eslint .)",
      "typecheck: pnpm run typecheck (package.json scripts.typecheck: tsc --noEmit)",
    ]);
    expect(intel.packageManagers).toEqual([{ name: "pnpm", source: "pnpm-lock.yaml" }]);
    expect(intel.frameworks.map((f) => `${f.name} (${f.source})`)).toEqual([
      "React (package.json dependencies)",
      "Vitest (package.json devDependencies)",
      "TypeScript (package.json devDependencies)",
    ]);
    // Ignored files (dist/) and bosun's own state are not part of the repository.
    expect(intel.fileCount).toBe(7);
    expect(intel.languages).toEqual([{ name: "TypeScript", files: 3 }]);
    expect(intel.layout.slice(0, 2)).toEqual([
      { name: "src", isDir: true, files: 2, note: "source" },
      { name: "test", isDir: true, files: 1, note: "tests" },
    ]);
    expect(intel.head).toBeNull();
    expect(intel.scannedAt).toBe("2026-01-02T03:04:05.000Z");
  });

  it("prefers packageManager over the lockfile, runs bun scripts with `bun run`, and skips npm's placeholder test", async () => {
    const bun = await makeRepo({
      "package.json": JSON.stringify({
        packageManager: "bun@1.2.0",
        scripts: { test: "bun test" },
      }),
      "package-lock.json": "{}",
    });
    expect(listCommands(await scanRepo(bun))).toEqual([
      "test: bun run test (package.json scripts.test: bun test)",
    ]);
    const placeholder = await makeRepo({
      "package.json": JSON.stringify({
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
      }),
    });
    const intel = await scanRepo(placeholder);
    expect(intel.commands).toEqual([]);
    expect(intel.packageManagers).toEqual([
      { name: "npm", source: "package.json (no lockfile; npm assumed)" },
    ]);
  });

  it("warns about a package.json that is not JSON instead of failing", async () => {
    const root = await makeRepo({ "package.json": "{ scripts: " });
    const intel = await scanRepo(root);
    expect(intel.commands).toEqual([]);
    expect(intel.warnings).toEqual([
      expect.stringMatching(
        /^package\.json is not valid JSON \(.+\); its scripts and dependencies were not read\.$/,
      ) as string,
    ]);
  });

  it("reads a Python project: pytest and ruff from pyproject, run through uv, frameworks from dependencies", async () => {
    const root = await makeRepo({
      "pyproject.toml": [
        "[project]",
        'name = "svc"',
        "dependencies = [",
        '  "fastapi[all]>=0.110",',
        "  \"SQLAlchemy>=2; python_version > '3.9'\",",
        "]",
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        "",
        "[tool.ruff]",
        "line-length = 100",
      ].join("\n"),
      "uv.lock": "",
      "svc/main.py": "",
      "tests/test_main.py": "",
    });
    const intel = await scanRepo(root);
    expect(listCommands(intel)).toEqual([
      "test: uv run pytest (pyproject.toml [tool.pytest.ini_options])",
      "lint: uv run ruff check (pyproject.toml [tool.ruff])",
      "format: uv run ruff format (pyproject.toml [tool.ruff])",
    ]);
    expect(intel.packageManagers).toEqual([{ name: "uv", source: "uv.lock" }]);
    expect(intel.frameworks.map((f) => f.name)).toEqual(["FastAPI", "SQLAlchemy"]);
    expect(intel.languages).toEqual([{ name: "Python", files: 2 }]);
  });

  it("finds pytest in a requirements file and mypy in setup.cfg, with plain pip", async () => {
    const root = await makeRepo({
      "requirements.txt": "flask==3.0\n",
      "requirements-dev.txt": "-r requirements.txt\n# tools\npytest>=8\n",
      "setup.cfg": "[mypy]\nstrict = True\n",
      "app.py": "",
    });
    const intel = await scanRepo(root);
    expect(listCommands(intel)).toEqual([
      "test: pytest (requirements-dev.txt)",
      "typecheck: mypy . (setup.cfg [mypy])",
    ]);
    expect(intel.packageManagers).toEqual([{ name: "pip", source: "requirements-dev.txt" }]);
    expect(intel.frameworks.map((f) => f.name)).toEqual(["pytest", "Flask"]);
  });

  it("reads a Rust crate: cargo test and build, clippy only with its config, crates as frameworks", async () => {
    const root = await makeRepo({
      "Cargo.toml": [
        "[package]",
        'name = "tool"',
        "",
        "[dependencies]",
        'serde_json = "1"',
        "",
        "[dependencies.tokio]",
        'version = "1"',
        'features = ["full"]',
      ].join("\n"),
      "Cargo.lock": "",
      "src/main.rs": "",
    });
    const intel = await scanRepo(root);
    expect(listCommands(intel)).toEqual([
      "test: cargo test (Cargo.toml)",
      "build: cargo build (Cargo.toml)",
    ]);
    expect(intel.packageManagers).toEqual([{ name: "Cargo", source: "Cargo.lock" }]);
    expect(intel.frameworks).toEqual([{ name: "Tokio", source: "Cargo.toml" }]);
    expect(intel.languages).toEqual([{ name: "Rust", files: 1 }]);
  });

  it("reads a Go module: go test, build and vet for ./..., required modules as frameworks", async () => {
    const root = await makeRepo({
      "go.mod": [
        "module example.com/api",
        "",
        "go 1.22",
        "",
        "require (",
        "\tgithub.com/gin-gonic/gin v1.10.0",
        "\tgithub.com/stretchr/testify v1.9.0 // indirect",
        ")",
      ].join("\n"),
      "main.go": "",
      "internal/db/db.go": "",
    });
    const intel = await scanRepo(root);
    expect(listCommands(intel)).toEqual([
      "test: go test ./... (go.mod)",
      "build: go build ./... (go.mod)",
      "lint: go vet ./... (go.mod (vet ships with go))",
    ]);
    expect(intel.frameworks.map((f) => f.name)).toEqual(["Gin", "testify"]);
    expect(intel.layout[0]).toEqual({
      name: "internal",
      isDir: true,
      files: 1,
      note: "internal packages",
    });
  });

  it("puts Makefile targets first, ignoring variables and special targets", async () => {
    const root = await makeRepo({
      Makefile: [
        "CC := gcc",
        "format := clang-format",
        "FLAGS ?= -O2",
        ".PHONY: test lint",
        "build: deps",
        "\t$(CC) -o app main.c",
        "test lint:",
        "\t./run-checks",
        "deps:",
        "%.o: %.c",
      ].join("\n"),
      "package.json": JSON.stringify({ scripts: { test: "jest" } }),
      "main.c": "",
    });
    const intel = await scanRepo(root);
    expect(listCommands(intel)).toEqual([
      "test: make test (Makefile target test)",
      "test: npm test (package.json scripts.test: jest)",
      "build: make build (Makefile target build)",
      "lint: make lint (Makefile target lint)",
    ]);
    expect(getTestCommand(intel)?.command).toBe("make test");
  });

  it("says none found in a repository with no manifests", async () => {
    const root = await makeRepo({ "README.md": "# notes\n", "notes.txt": "" });
    await runGit(root, ["add", "-A"]);
    await runGit(root, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"]);
    const intel = await scanRepo(root, { now: NOW });
    expect(intel.commands).toEqual([]);
    expect(intel.languages).toEqual([]);
    expect(intel.packageManagers).toEqual([]);
    expect(intel.head).toMatch(/^[0-9a-f]{40}$/);
    expect(getTestCommand(intel)).toBeUndefined();
    const markdown = renderIntelligence(intel);
    for (const kind of ["test", "build", "lint", "typecheck", "format"])
      expect(markdown).toContain(`- ${kind}: none found\n`);
    expect(markdown).toContain("- Languages: none found\n");
  });

  it("lists a tracked manifest deleted from the tree without failing to read it", async () => {
    const root = await makeRepo({ "package.json": '{"scripts": {"test": "jest"}}', "a.js": "" });
    await runGit(root, ["add", "-A"]);
    await rm(path.join(root, "package.json"));
    const intel = await scanRepo(root);
    expect(intel.fileCount).toBe(2);
    expect(intel.commands).toEqual([]);
  });

  it("is a usage error outside a git repository", async () => {
    const dir = await makeTestDir({ "package.json": "{}" });
    await expect(scanRepo(dir)).rejects.toThrow(UsageError);
    await expect(scanRepo(dir)).rejects.toThrow(/is not a git repository .*--root/);
  });
});
