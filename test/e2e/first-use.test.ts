/**
 * What a new user meets first, through the built CLI: the demo's "Look around" commands run as
 * printed from another directory, doctor's verdict on the configured worker and reviewer, help
 * that shows the global options and the defaults, and a diff whose last line is ended.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/store/schema/config.js";
import { assertBosunBuilt, BOSUN_CLI } from "../helpers/run-bosun.js";
import { makeTestDir } from "../helpers/testdir.js";

beforeAll(() => assertBosunBuilt());

/** How one process ended. */
interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A temp dir with a git repo, a directory outside it, and a hermetic env for bosun and sh. */
interface Sandbox {
  dir: string;
  repo: string;
  elsewhere: string;
  env: NodeJS.ProcessEnv;
  /** Runs `node dist/cli.js <args>` in the repo. */
  bosun(args: readonly string[]): Ran;
  /** Runs a command line through /bin/sh, from `elsewhere` (outside every repo). */
  shell(line: string): Ran;
}

/**
 * `pathDirs` come first on PATH, then this Node's directory and the system tools (git, sh, ls):
 * no agent CLI, and no `bosun` except one a test puts there.
 */
async function makeSandbox(pathDirs: readonly string[] = []): Promise<Sandbox> {
  const dir = await realpath(await makeTestDir({ "repo/README.md": "# sample\n" }));
  const repo = path.join(dir, "repo");
  const elsewhere = path.join(dir, "elsewhere");
  await mkdir(elsewhere);
  const env: NodeJS.ProcessEnv = {
    PATH: [...pathDirs, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter),
    HOME: path.join(dir, "home"),
    BOSUN_HOME: path.join(dir, "bosun-home"),
    TMPDIR: dir,
    NO_COLOR: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const spawn = (command: string, args: readonly string[], cwd: string): Ran => {
    const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  expect(spawn("git", ["init", "-q", "."], repo).status).toBe(0);
  return {
    dir,
    repo,
    elsewhere,
    env,
    bosun: (args) => spawn(process.execPath, [BOSUN_CLI, ...args], repo),
    shell: (line) => spawn("/bin/sh", ["-c", line], elsewhere),
  };
}

/** Runs `bosun demo` and returns the run, its repo and the printed "Look around" command lines. */
function runDemo(sandbox: Sandbox): { runId: string; repo: string; commands: string[] } {
  const demo = sandbox.bosun(["demo"]);
  expect(demo.status, demo.stderr).toBe(0);
  const lines = demo.stderr.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Look around"));
  expect(start, demo.stderr).toBeGreaterThan(-1);
  const commands = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("  ")) break;
    commands.push(line.trim());
  }
  const [, repo, runId] = /--root (\S+) status (\S+)/.exec(commands[0] ?? "") ?? [];
  expect(runId, demo.stderr).toBeDefined();
  expect(repo?.startsWith(sandbox.dir), demo.stderr).toBe(true);
  return { runId: runId ?? "", repo: repo ?? "", commands };
}

/** Runs every printed command through sh from another directory and checks it shows the run. */
function expectCommandsShowRun(sandbox: Sandbox, runId: string, commands: readonly string[]): void {
  const [status, log, diff, ls] = commands.map((line) => {
    const ran = sandbox.shell(line);
    expect(ran.status, `${line}\n${ran.stderr}`).toBe(0);
    return ran.stdout;
  });
  expect(commands).toHaveLength(4);
  expect(status).toMatch(new RegExp(`^run +${runId} +✔ succeeded`, "m"));
  expect(log).toContain(`▶ review ${runId}`);
  expect(log).toContain("✔ succeeded approved by the reviewer in round 2");
  expect(diff).toMatch(/^diff --git a\/math\.js b\/math\.js/m);
  expect(ls).toMatch(/\/rounds\/1:\n(.+\n)*work_report\.json\n/);
  expect(ls).toContain("review_report.json");
}

describe("bosun demo's Look around commands", () => {
  it("run as printed from another directory with `node <dist/cli.js>` when no bosun on PATH is this one", async () => {
    // A different `bosun` first on PATH: the printed commands must not call it.
    const otherBin = path.join(await makeTestDir(), "other-bin");
    await mkdir(otherBin);
    await writeFile(path.join(otherBin, "bosun"), "#!/bin/sh\necho 'another bosun' >&2\nexit 9\n");
    await chmod(path.join(otherBin, "bosun"), 0o755);
    const sandbox = await makeSandbox([otherBin]);
    const { runId, commands } = runDemo(sandbox);

    for (const line of commands.slice(0, 3))
      expect(line.startsWith(`node ${BOSUN_CLI} --root `), line).toBe(true);
    expectCommandsShowRun(sandbox, runId, commands);
  });

  it("say plain `bosun` when the bosun on PATH is this installation (as npm link makes it)", async () => {
    const linkBin = path.join(await makeTestDir(), "link-bin");
    await mkdir(linkBin);
    await symlink(BOSUN_CLI, path.join(linkBin, "bosun"));
    const sandbox = await makeSandbox([linkBin]);
    const { runId, commands } = runDemo(sandbox);

    for (const line of commands.slice(0, 3))
      expect(line.startsWith("bosun --root "), line).toBe(true);
    expectCommandsShowRun(sandbox, runId, commands);
  });
});

describe("bosun diff", () => {
  it("ends its output with exactly one newline", async () => {
    const sandbox = await makeSandbox();
    const { runId, repo } = runDemo(sandbox);
    for (const args of [
      ["diff", runId],
      ["diff", runId, "--round", "1"],
    ]) {
      const diff = sandbox.bosun(["--root", repo, ...args]);
      expect(diff.status, diff.stderr).toBe(0);
      expect(diff.stdout).toMatch(/^diff --git /m);
      expect(diff.stdout).toMatch(/[^\n]\n$/);
    }
  });
});

describe("bosun doctor", () => {
  /** Writes bosun.yaml into the sandbox repo. */
  const writeConfig = (sandbox: Sandbox, yaml: string): Promise<void> =>
    writeFile(path.join(sandbox.repo, "bosun.yaml"), yaml);
  /** `doctor --json`'s verdict part. */
  interface Verdict {
    isRunnable: boolean;
    roles: Array<{ role: string; harness: string; isFound: boolean; problem: string | null }>;
  }

  it("exits 1 and names each configured role whose CLI is missing, with the fix", async () => {
    const sandbox = await makeSandbox();
    const missing = path.join(sandbox.dir, "not-installed");
    // The default roles (claude, codex), pointed at CLIs that do not exist.
    await writeConfig(
      sandbox,
      `agents:\n  claude: { command: ${missing}/claude }\n  codex: { command: ${missing}/codex }\n`,
    );
    const text = sandbox.bosun(["doctor"]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^✗ +worker +claude +\(built-in default\) +not found$/m);
    expect(text.stdout).toMatch(/^✗ +reviewer +codex +\(built-in default\) +not found$/m);
    expect(text.stdout).toContain(
      "or use another agent: set review.worker in bosun.yaml, or pass --worker <harness> to bosun review",
    );
    expect(text.stdout).toContain(
      "set review.reviewer in bosun.yaml, or pass --reviewer <harness>",
    );
    expect(text.stdout).toContain(
      "Not ready: bosun review cannot run the worker and reviewer agents as configured.",
    );

    const json = sandbox.bosun(["doctor", "--json"]);
    expect(json.status).toBe(1);
    const verdict = JSON.parse(json.stdout) as Verdict;
    expect(verdict.isRunnable).toBe(false);
    expect(verdict.roles.map((r) => [r.role, r.harness, r.isFound])).toEqual([
      ["worker", "claude", false],
      ["reviewer", "codex", false],
    ]);
    expect(verdict.roles[0]?.problem).toContain(`"${missing}/claude" was not found`);
  });

  it("exits 1 when only the reviewer's CLI is missing, and names only the reviewer", async () => {
    const sandbox = await makeSandbox();
    await writeConfig(
      sandbox,
      "review: { worker: offline, reviewer: mytool }\nagents:\n  mytool: { template: 'mytool-not-installed --file {{prompt_file}}' }\n",
    );
    const text = sandbox.bosun(["doctor"]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^✓ +worker +offline .* ready$/m);
    expect(text.stdout).toMatch(/^✗ +reviewer +mytool .* not found$/m);
    expect(text.stdout).toContain("fix agents.mytool.template in bosun.yaml");
    expect(text.stdout).toContain("cannot run the reviewer agent as configured");
    const verdict = JSON.parse(sandbox.bosun(["doctor", "--json"]).stdout) as Verdict;
    expect(verdict.isRunnable).toBe(false);
    expect(verdict.roles.map((r) => r.isFound)).toEqual([true, false]);
  });

  it("exits 0 when the configured worker and reviewer CLIs are both found", async () => {
    const bin = path.join(await makeTestDir(), "bin");
    await mkdir(bin);
    for (const name of ["claude", "codex"]) {
      await writeFile(path.join(bin, name), `#!/bin/sh\necho "${name} 9.9.9 (test stand-in)"\n`);
      await chmod(path.join(bin, name), 0o755);
    }
    const sandbox = await makeSandbox([bin]);
    const text = sandbox.bosun(["doctor"]);
    expect(text.status, text.stdout).toBe(0);
    // No auth env var or login file in the sandbox: said, but not a failure.
    expect(text.stdout).toMatch(
      /^! +worker +claude +\(built-in default\) +found; no auth detected$/m,
    );
    const json = sandbox.bosun(["doctor", "--json"]);
    expect(json.status).toBe(0);
    const verdict = JSON.parse(json.stdout) as Verdict;
    expect(verdict.isRunnable).toBe(true);
    expect(verdict.roles.map((r) => [r.role, r.harness, r.isFound])).toEqual([
      ["worker", "claude", true],
      ["reviewer", "codex", true],
    ]);
  });
});

describe("subcommand help", () => {
  it("bosun review --help shows the global options and the built-in defaults", async () => {
    const sandbox = await makeSandbox();
    const help = sandbox.bosun(["review", "--help"]);
    expect(help.status).toBe(0);
    const global = help.stdout.slice(help.stdout.indexOf("Global Options:"));
    expect(global).toMatch(/^ +--json +\S/m);
    expect(global).toMatch(/^ +-v, --verbose +\S/m);
    expect(global).toMatch(/^ +--root <dir> +\S/m);
    // Help wraps long descriptions; compare with whitespace collapsed.
    const flat = help.stdout.replace(/\s+/g, " ");
    const { review, dispatch } = DEFAULT_CONFIG;
    expect(flat).toContain(`(default: ${review.worker}; review.worker in bosun.yaml)`);
    expect(flat).toContain(`(default: ${review.reviewer}; review.reviewer in bosun.yaml)`);
    expect(flat).toContain(`(default: ${review.maxRounds}; review.maxRounds in bosun.yaml)`);
    expect(flat).toContain(`(default: ${dispatch.timeoutSec}; dispatch.timeoutSec in bosun.yaml)`);
    expect(flat).toContain("bosun.yaml (or the global config) can change them");
  });

  it("bosun status --help shows the global options too", async () => {
    const sandbox = await makeSandbox();
    const help = sandbox.bosun(["status", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Global Options:\n(.+\n)*? +--json /m);
    expect(help.stdout).toMatch(/^ +-v, --verbose /m);
    expect(help.stdout).toMatch(/^ +--root <dir> /m);
  });
});
