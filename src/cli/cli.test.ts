/**
 * Smoke tests of the built CLI (`node dist/cli.js`): every command is listed, init/validate/config/
 * doctor behave, and a whole demo run can be inspected with status, runs, log and diff.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(REPO_ROOT, "dist", "cli.js");

beforeAll(() => {
  // `npm test` builds first; build here only when running this file on its own from a clean tree.
  if (!existsSync(CLI)) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
}, 120_000);

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A sandbox: a git repo in a fresh temp dir, with HOME, BOSUN_HOME and TMPDIR inside it. */
async function makeSandbox(): Promise<{
  dir: string;
  repo: string;
  run: (args: string[], extraEnv?: Record<string, string>) => CliResult;
}> {
  const dir = await makeTestDir({ "repo/README.md": "# sample\n" });
  const repo = path.join(dir, "repo");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: path.join(dir, "home"),
    BOSUN_HOME: path.join(dir, "bosun-home"),
    TMPDIR: dir,
    NO_COLOR: "1",
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
  };
  execFileSync("git", ["init", "-q", "."], { cwd: repo, env });
  const run = (args: string[], extraEnv: Record<string, string> = {}): CliResult => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: repo,
      env: { ...env, ...extraEnv },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { dir, repo, run };
}

describe("bosun CLI", () => {
  it("--help lists every command", async () => {
    const { run } = await makeSandbox();
    const { status, stdout } = run(["--help"]);
    expect(status).toBe(0);
    const commands = [...stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]);
    for (const name of [
      "init",
      "review",
      "run",
      "stop",
      "clean",
      "approve",
      "status",
      "board",
      "runs",
      "log",
      "diff",
      "asks",
      "answer",
      "config",
      "validate",
      "doctor",
      "learn",
      "roles",
      "demo",
    ]) {
      expect(commands).toContain(name);
    }
  });

  it("run --help says what a team run does, where it works and how it exits", async () => {
    const { run } = await makeSandbox();
    const { status, stdout } = run(["run", "--help"]);
    expect(status).toBe(0);
    const flat = stdout.replace(/\s+/g, " ");
    expect(flat).toContain("Without --execute nothing is launched");
    expect(flat).toContain("bosun/<run>/integration");
    expect(flat).toContain("$BOSUN_WORKTREES_DIR");
    expect(flat).toContain("4 budget exhausted");
    // The per-dispatch timeout shows its default and the config key that changes it.
    expect(flat).toContain("(default: 1800; dispatch.timeoutSec in bosun.yaml)");
  });

  it("clean --help gives its exit codes", async () => {
    const { run } = await makeSandbox();
    const { status, stdout } = run(["clean", "--help"]);
    expect(status).toBe(0);
    expect(stdout.replace(/\s+/g, " ")).toContain(
      "Exit codes: 0 every worktree removed, 1 one was kept",
    );
  });

  it("init creates bosun.yaml and the templates, keeps them on a second run, and --force overwrites", async () => {
    const { repo, run } = await makeSandbox();
    const first = run(["init", "--json"]);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      root: repo,
      created: [
        "bosun.yaml",
        ".bosun/templates/worker.md",
        ".bosun/templates/reviewer.md",
        ".bosun/examples/task_card.json",
      ],
      kept: [],
    });
    const worker = path.join(repo, ".bosun", "templates", "worker.md");
    expect(await readFile(worker, "utf8")).toContain("{{task_id}}");
    // .bosun/ is excluded from git at once; only bosun.yaml (to commit) shows up.
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: repo,
      encoding: "utf8",
    });
    expect(status.split("\n").filter((line) => line !== "")).toEqual([
      "?? README.md",
      "?? bosun.yaml",
    ]);

    await writeFile(worker, "my own worker prompt");
    await writeFile(path.join(repo, "bosun.yaml"), "review:\n  maxRounds: 5\n");
    const second = run(["init"]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("kept    bosun.yaml (exists; --force to overwrite)");
    expect(await readFile(worker, "utf8")).toBe("my own worker prompt");
    expect(await readFile(path.join(repo, "bosun.yaml"), "utf8")).toBe("review:\n  maxRounds: 5\n");

    const forced = run(["init", "--force", "--json"]);
    expect((JSON.parse(forced.stdout) as { created: string[] }).created).toHaveLength(4);
    expect(await readFile(worker, "utf8")).toContain("{{task_id}}");
    // The generated config is itself valid.
    expect(run(["validate"]).status).toBe(0);
  });

  it("validate exits 2 with one clear line for a bad bosun.yaml", async () => {
    const { repo, run } = await makeSandbox();
    await writeFile(path.join(repo, "bosun.yaml"), "review:\n  maxRounds: many\n");
    const bad = run(["validate"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain(
      `error Invalid ${path.join(repo, "bosun.yaml")}: review.maxRounds: `,
    );

    await writeFile(path.join(repo, "bosun.yaml"), "review:\n  worker: [claude\n");
    const syntax = run(["validate"]);
    expect(syntax.status).toBe(2);
    expect(syntax.stderr).toMatch(
      new RegExp(`error Invalid ${path.join(repo, "bosun.yaml")}:\\d+: `),
    );
  });

  it("validate refuses a config naming an unknown harness, naming the file and the key", async () => {
    const { repo, run } = await makeSandbox();
    await writeFile(path.join(repo, "bosun.yaml"), "review:\n  worker: clod\n");
    const result = run(["validate"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error Invalid ${path.join(repo, "bosun.yaml")}: review.worker: unknown harness "clod" (known: claude, codex`,
    );
  });

  it("config --json shows the values and the file each came from", async () => {
    const { repo, run } = await makeSandbox();
    await writeFile(path.join(repo, "bosun.yaml"), "review:\n  maxRounds: 4\n");
    const { status, stdout } = run(["config", "--json"]);
    expect(status).toBe(0);
    const resolved = JSON.parse(stdout) as {
      config: { review: { maxRounds: number } };
      sources: Record<string, string>;
      files: string[];
    };
    expect(resolved.config.review.maxRounds).toBe(4);
    expect(resolved.sources["review.maxRounds"]).toBe(path.join(repo, "bosun.yaml"));
    expect(resolved.sources["review.worker"]).toBe("default");
    expect(resolved.files).toEqual([path.join(repo, "bosun.yaml")]);
  });

  it("doctor --json lists every harness with auth env names, never their values", async () => {
    const { run } = await makeSandbox();
    const { status, stdout, stderr } = run(["doctor", "--json"], {
      ANTHROPIC_API_KEY: "secret-value",
    });
    expect(stdout + stderr).not.toContain("secret-value");
    const report = JSON.parse(stdout) as {
      isRunnable: boolean;
      harnesses: Array<{
        name: string;
        path: string | null;
        version: string | null;
        authEnvSet: string[];
      }>;
    };
    // Whether claude and codex (the default roles) are installed depends on PATH; the exit code
    // must agree with the verdict either way (test/e2e/first-use.test.ts pins both cases).
    expect(status).toBe(report.isRunnable ? 0 : 1);
    const health = report.harnesses;
    expect(health.map((h) => h.name)).toEqual([
      "claude",
      "codex",
      "gemini",
      "opencode",
      "pi",
      "amp",
      "cursor-agent",
      "offline",
    ]);
    for (const h of health) {
      expect(h).toHaveProperty("path");
      expect(h).toHaveProperty("version");
      expect(Array.isArray(h.authEnvSet)).toBe(true);
    }
    expect(health.find((h) => h.name === "claude")?.authEnvSet).toEqual(["ANTHROPIC_API_KEY"]);
    expect(health.find((h) => h.name === "codex")?.authEnvSet).toEqual([]);
    expect(health.find((h) => h.name === "offline")).toMatchObject({
      path: process.execPath,
      version: expect.any(String) as string,
    });
  });

  it("review without --task or --goal exits 2 and says what to pass", async () => {
    const { run } = await makeSandbox();
    const result = run(["review"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error .*--task .*--goal/);
  });

  it("review --task with a directory exits 2 with a clear message, not a stack trace", async () => {
    const { dir, run } = await makeSandbox();
    const result = run(["review", "--task", dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^error Task card .* cannot be read: it is a directory, not a file \(EISDIR\)/,
    );
    expect(result.stderr).not.toContain("internal error");
  });

  it("demo --json succeeds, and status, runs, log and diff read its run", async () => {
    const { dir, run } = await makeSandbox();
    const demo = run(["demo", "--json"]);
    expect(demo.status).toBe(0);
    // stdout is JSON Lines: the events, then the result.
    const documents = demo.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string });
    const result = documents.at(-1) as {
      type: string;
      repo: string;
      run: { id: string; status: string; round: number };
    };
    expect(result.type).toBe("demo.result");
    expect(result.run.status).toBe("succeeded");
    expect(result.repo.startsWith(dir)).toBe(true);
    const events = documents.slice(0, -1);
    expect(events.at(-1)).toMatchObject({ type: "run.completed", status: "succeeded" });

    const root = ["--root", result.repo];
    const status = run([...root, "status", "--json"]);
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      id: result.run.id,
      status: "succeeded",
      isLive: false,
    });

    const runs = run([...root, "runs", "--json"]);
    expect((JSON.parse(runs.stdout) as Array<{ id: string }>).map((r) => r.id)).toEqual([
      result.run.id,
    ]);

    const log = run([...root, "log", result.run.id.slice(-4)]);
    expect(log.status).toBe(0);
    expect(log.stdout).toContain(`▶ review ${result.run.id}`);
    expect(log.stdout).toContain("✔ succeeded approved by the reviewer in round 2");

    const diff = run([...root, "diff", "latest"]);
    expect(diff.status).toBe(0);
    expect(diff.stdout).toMatch(/^diff --git a\/math\.js b\/math\.js/m);

    const missing = run([...root, "status", "no-such-run"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('Run "no-such-run" not found');
  });
});
