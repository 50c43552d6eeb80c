/**
 * Bad input named in issue 5, one test per defect, through bosun's main() in-process: numbers a
 * timer cannot hold, ids that are no ids, damaged `.bosun/` files, harness names, config files
 * that are no files, `validate --json`, and the offline agent's script.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createBosunPaths } from "../../src/store/paths.js";
import { runMainInProcess, type InProcessResult } from "../helpers/in-process-cli.js";
import { makeTestDir } from "../helpers/testdir.js";

const START = ["review", "--goal", "Add a line.", "--worker", "offline", "--reviewer", "offline"];

/** A repo dir (no git needed: every case fails before bosun touches git) and its BOSUN_HOME. */
async function makeRepo(
  tree: Record<string, string> = {},
): Promise<{ root: string; home: string; bosun: (...args: string[]) => Promise<InProcessResult> }> {
  const dir = await makeTestDir(
    Object.fromEntries(Object.entries(tree).map(([rel, text]) => [path.join("repo", rel), text])),
  );
  const root = path.join(dir, "repo");
  const home = path.join(dir, "bosun-home");
  await mkdir(root, { recursive: true });
  const bosun = (...args: string[]): Promise<InProcessResult> =>
    runMainInProcess(["--root", root, ...args], { BOSUN_HOME: home, HOME: home, NO_COLOR: "1" });
  return { root, home, bosun };
}

/** A needs_human run's files as bosun writes them, with its ask: enough for status and answer. */
async function writeWaitingRun(root: string, runId: string, askRunId = runId): Promise<string> {
  const paths = createBosunPaths(root);
  const askId = `ask-${runId}-r1`;
  const options = {
    worker: "offline",
    reviewer: "offline",
    maxRounds: 1,
    verify: "",
    timeoutSec: 30,
  };
  const run = {
    version: 1,
    id: runId,
    flow: "review",
    status: "needs_human",
    createdAt: "2026-11-22T12:50:12.000Z",
    updatedAt: "2026-11-22T12:51:00.000Z",
    taskId: "T-001",
    title: "Add a line.",
    baseCommit: "0".repeat(40),
    headCommit: "0".repeat(40),
    round: 1,
    step: "run.completed",
    options,
    costUsd: 0,
    tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    eventCount: 1,
    openAskId: askId,
  };
  await mkdir(paths.runDir(runId), { recursive: true });
  await writeFile(paths.runFile(runId), `${JSON.stringify(run)}\n`);
  await mkdir(paths.asksDir, { recursive: true });
  const ask = {
    version: 1,
    id: askId,
    runId: askRunId,
    createdAt: "2026-11-22T12:51:00.000Z",
    question: "More rounds?",
    options: [{ key: "more", label: "more" }],
    context: "",
  };
  await writeFile(path.join(paths.asksDir, `${askId}.json`), `${JSON.stringify(ask)}\n`);
  return askId;
}

function expectHandled(result: InProcessResult, exitCode: number): void {
  expect(result.stderr).not.toMatch(/internal error|This is a bug/);
  expect(result.exitCode, result.stderr).toBe(exitCode);
}

describe("numbers a timer cannot hold (defect 5)", () => {
  it.each(["9999999999", "2147484", "", " ", "1e3", "0x10", "-1", "1.5", " 30"])(
    "refuses --timeout %j with exit 2, naming --timeout, before any run exists",
    async (value) => {
      const { root, bosun } = await makeRepo();
      const result = await bosun(...START, "--timeout", value);
      expectHandled(result, 2);
      expect(result.stderr).toContain("option '--timeout <seconds>'");
      expect(result.stderr).toContain("0 (no timeout) to 2147483");
      expect(existsSync(path.join(root, ".bosun", "runs"))).toBe(false);
    },
  );

  it.each(["", "0", "1e1", "0x3", "3.0", " 3", "+3", "1001", "99999999999999999999"])(
    "refuses --max-rounds %j: plain decimal digits from 1 to 1000 only",
    async (value) => {
      const { bosun } = await makeRepo();
      const result = await bosun(...START, "--max-rounds", value);
      expectHandled(result, 2);
      expect(result.stderr).toContain("option '--max-rounds <n>'");
    },
  );

  it("accepts the longest timeout a timer can hold (the run id is what fails here)", async () => {
    const { bosun } = await makeRepo();
    const result = await bosun("review", "--resume", "nosuch", "--timeout", "2147483");
    expectHandled(result, 2);
    expect(result.stderr).toContain('Run "nosuch" not found');
  });

  it.each([
    ["timeoutSec: 1e10", "2147483 seconds"],
    ["timeoutSec: 2147484", "2147483 seconds"],
    ["graceSec: 9999999999", "2147483 seconds"],
    ["retryBaseSec: .inf", "received Infinity"],
    ["retryCapSec: 3000000", "2147483 seconds"],
  ])("refuses dispatch.%s in bosun.yaml, naming the file and the key", async (line, why) => {
    const { root, bosun } = await makeRepo({ "bosun.yaml": `dispatch:\n  ${line}\n` });
    const result = await bosun(...START);
    expectHandled(result, 2);
    const key = line.split(":")[0] ?? "";
    expect(result.stderr).toContain(`Invalid ${path.join(root, "bosun.yaml")}: dispatch.${key}: `);
    expect(result.stderr).toContain(why);
  });
});

describe("internal errors where a clear message belongs (defect 6)", () => {
  it.each(["", ".", "../../etc/passwd", "a b", "a\nb", "/abs"])(
    "answer with the ask id %j is a usage error naming <ask>",
    async (askId) => {
      const { bosun } = await makeRepo();
      const result = await bosun("answer", askId, "more");
      expectHandled(result, 2);
      expect(result.stderr).toContain(
        `Invalid ask id ${JSON.stringify(askId)} (the <ask> argument)`,
      );
    },
  );

  it("answer with an unknown ask id is a usage error", async () => {
    const { bosun } = await makeRepo();
    const result = await bosun("answer", "ask-nosuch", "more");
    expectHandled(result, 2);
    expect(result.stderr).toContain('Ask "ask-nosuch" not found');
  });

  it("an ask file naming a run id with a slash is a state error naming the ask file", async () => {
    const { root, bosun } = await makeRepo();
    const askId = await writeWaitingRun(root, "20261122-125012-a1b2", "../../etc");
    const result = await bosun("answer", askId, "more");
    expectHandled(result, 1);
    const askFile = path.join(root, ".bosun", "asks", `${askId}.json`);
    expect(result.stderr).toContain(`Invalid ${askFile}: runId: `);
  });

  it("status '' is a usage error instead of matching every run", async () => {
    const { root, bosun } = await makeRepo();
    await writeWaitingRun(root, "20261122-125012-a1b2");
    const result = await bosun("status", "");
    expectHandled(result, 2);
    expect(result.stderr).toContain('Run id "" is empty');
  });

  it("an unknown run id is a usage error (exit 2) for status and --resume", async () => {
    const { root, bosun } = await makeRepo();
    await writeWaitingRun(root, "20261122-125012-a1b2");
    for (const args of [
      ["status", "nosuch"],
      ["review", "--resume", "nosuch"],
    ]) {
      const result = await bosun(...args);
      expectHandled(result, 2);
      expect(result.stderr).toContain('Run "nosuch" not found');
    }
  });

  it("a stray .bosun/runs/.cache does not break runs, status or --resume", async () => {
    const { root, bosun } = await makeRepo();
    await writeWaitingRun(root, "20261122-125012-a1b2");
    await mkdir(path.join(root, ".bosun", "runs", ".cache", "x"), { recursive: true });
    await mkdir(path.join(root, ".bosun", "runs", "cache"), { recursive: true });
    const runs = await bosun("--json", "runs");
    expectHandled(runs, 0);
    expect((JSON.parse(runs.stdout) as Array<{ id: string }>).map((run) => run.id)).toEqual([
      "20261122-125012-a1b2",
    ]);
    expectHandled(await bosun("status"), 0);
    const resumed = await bosun("review", "--resume", ".cache");
    expectHandled(resumed, 2);
    expect(resumed.stderr).toContain('Run ".cache" not found');
  });

  it.each([
    ["run.json", "status"],
    ["events.jsonl", "log"],
  ])("%s that is a directory is a state error naming it (bosun %s)", async (name, command) => {
    const { root, bosun } = await makeRepo();
    const runId = "20261122-125012-a1b2";
    await writeWaitingRun(root, runId);
    const file = path.join(root, ".bosun", "runs", runId, name);
    await rm(file, { force: true });
    await mkdir(file);
    const result = await bosun(command, runId);
    expectHandled(result, 1);
    expect(result.stderr).toContain(
      `error Cannot read ${file}: it is a directory, not a file (EISDIR)`,
    );
  });

  it("an ask file that is a directory, and answers/ that is a file, are state errors naming the path", async () => {
    const { root, bosun } = await makeRepo();
    const askId = await writeWaitingRun(root, "20261122-125012-a1b2");
    const answers = path.join(root, ".bosun", "asks", "answers");
    await writeFile(answers, "a file");
    const answered = await bosun("answer", askId, "more", "--no-resume");
    expectHandled(answered, 1);
    expect(answered.stderr).toContain(answers);
    const askFile = path.join(root, ".bosun", "asks", `${askId}.json`);
    await rm(askFile);
    await mkdir(askFile);
    const listed = await bosun("asks");
    expectHandled(listed, 1);
    expect(listed.stderr).toContain(`Cannot read ${askFile}: it is a directory`);
    // .bosun/asks itself a file: damage to report, not "No open asks".
    const asksDir = path.join(root, ".bosun", "asks");
    await rm(asksDir, { recursive: true });
    await writeFile(asksDir, "a file");
    const damaged = await bosun("asks");
    expectHandled(damaged, 1);
    expect(damaged.stderr).toContain(`Cannot read ${asksDir}: `);
  });

  it("bosun.yaml that is a directory or a symlink loop, and BOSUN_HOME that is a file, are config errors naming the file", async () => {
    const { root, home, bosun } = await makeRepo();
    const file = path.join(root, "bosun.yaml");
    await mkdir(file);
    let result = await bosun("config");
    expectHandled(result, 2);
    expect(result.stderr).toContain(`Invalid ${file}: cannot be read: it is a directory`);
    await rm(file, { recursive: true });
    await symlink(file, file);
    result = await bosun("config");
    expectHandled(result, 2);
    expect(result.stderr).toContain(`Invalid ${file}: cannot be read: it is a symbolic link loop`);
    await rm(file);
    await writeFile(home, "not a directory");
    result = await bosun("config");
    expectHandled(result, 2);
    expect(result.stderr).toContain(
      `Invalid ${home}/config.yaml: cannot be read: ${home} is not a directory`,
    );
  });

  it("a Node file-system error that escapes a command is reported with its path, not as a bug", async () => {
    const { root, bosun } = await makeRepo();
    // init creates .bosun/templates: with .bosun a file, mkdir fails with ENOTDIR.
    await writeFile(path.join(root, ".bosun"), "a file");
    const result = await bosun("init");
    expectHandled(result, 1);
    expect(result.stderr).toContain(
      `error Cannot mkdir ${path.join(root, ".bosun", "templates")}: ${path.join(root, ".bosun")} is not a directory (ENOTDIR).`,
    );
  });
});

describe("errors that say where (defect 7)", () => {
  it.each([
    ["workspace", "worker", "abc"],
    ["workspace", "reviewer", ""],
    ["global", "worker", "   "],
  ])(
    "an unknown harness in the %s config's review.%s (%j) names the file and the key",
    async (which, seat, name) => {
      const { root, home, bosun } = await makeRepo();
      const file =
        which === "workspace" ? path.join(root, "bosun.yaml") : path.join(home, "config.yaml");
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `review:\n  ${seat}: ${JSON.stringify(name)}\n`);
      for (const args of [START, ["validate"], ["config"]]) {
        const result = await bosun(...args);
        expectHandled(result, 2);
        expect(result.stderr).toContain(`error Invalid ${file}: review.${seat}: `);
        expect(result.stderr).toContain("known: claude, codex");
      }
    },
  );

  it("--worker abc names --worker", async () => {
    const { bosun } = await makeRepo();
    const result = await bosun(...START, "--worker", "abc");
    expectHandled(result, 2);
    expect(result.stderr).toContain('error Invalid --worker: unknown harness "abc" (known: claude');
  });

  it("a garbage offline script is a config error naming agents.offline.script and the file, before any run", async () => {
    const { root, home, bosun } = await makeRepo();
    const script = path.join(home, "script.json");
    await mkdir(home, { recursive: true });
    await writeFile(script, "garbage");
    await writeFile(path.join(root, "bosun.yaml"), `agents:\n  offline:\n    script: ${script}\n`);
    const result = await bosun(...START);
    expectHandled(result, 2);
    expect(result.stderr).toContain(
      `error Invalid offline agent script ${script} (agents.offline.script, set in ${path.join(root, "bosun.yaml")}): not valid JSON (Unexpected token`,
    );
    expect(existsSync(path.join(root, ".bosun", "runs"))).toBe(false);
  });
});

describe("bosun validate --json (defect 10)", () => {
  it("prints the errors as JSON, with the line and the nearest key, and exits 2", async () => {
    const { root, bosun } = await makeRepo({
      "bosun.yaml": "review:\n  worker: codex\n  maxRound: 2\ndispatch:\n  timeoutSec: many\n",
    });
    const file = path.join(root, "bosun.yaml");
    const result = await bosun("--json", "validate");
    expectHandled(result, 2);
    expect(JSON.parse(result.stdout)).toEqual({
      isValid: false,
      errors: [
        {
          file,
          line: 3,
          key: "review.maxRound",
          message: 'unknown key; did you mean "maxRounds"?',
        },
        {
          file,
          line: 5,
          key: "dispatch.timeoutSec",
          message: "Invalid input: expected number, received string",
        },
      ],
    });
    const plain = await bosun("validate");
    expectHandled(plain, 2);
    expect(plain.stderr).toContain(
      `review.maxRound: unknown key; did you mean "maxRounds"? (line 3)`,
    );
    expect(plain.stderr).not.toContain("bosun validate");
  });

  it("prints isValid true with the files read when the config is valid", async () => {
    const { root, bosun } = await makeRepo({ "bosun.yaml": "review:\n  maxRounds: 2\n" });
    const result = await bosun("--json", "validate");
    expectHandled(result, 0);
    expect(JSON.parse(result.stdout)).toEqual({
      isValid: true,
      files: [path.join(root, "bosun.yaml")],
      errors: [],
    });
  });
});

describe("the offline agent's script (defect 11)", () => {
  it("is a config error up front when unset: no run is created and no --script flag is named", async () => {
    const { root, bosun } = await makeRepo();
    const result = await bosun(...START);
    expectHandled(result, 2);
    expect(result.stderr).toContain(
      `error The offline agent needs a script: set agents.offline.script in ${path.join(root, "bosun.yaml")}`,
    );
    expect(result.stderr).not.toContain("--script");
    expect(existsSync(path.join(root, ".bosun", "runs"))).toBe(false);
  });

  it.each([
    ["missing", null, "not found"],
    ["a directory", "dir", "it is a directory"],
    ["invalid", '{"version": 1, "steps": [{"actions": [{"explode": 1}]}]}', "steps.0.actions.0"],
  ])(
    "is a config error up front when the script is %s, naming the file and the problem",
    async (_what, body, problem) => {
      const { root, bosun } = await makeRepo();
      const script = path.join(root, "script.json");
      if (body === "dir") await mkdir(script);
      else if (body !== null) await writeFile(script, body);
      await writeFile(
        path.join(root, "bosun.yaml"),
        "agents:\n  offline:\n    script: script.json\n",
      );
      const result = await bosun(...START);
      expectHandled(result, 2);
      expect(result.stderr).toContain(
        `Invalid offline agent script ${script} (agents.offline.script`,
      );
      expect(result.stderr).toContain(problem);
      expect(await readFile(path.join(root, "bosun.yaml"), "utf8")).toContain("script.json");
      expect(existsSync(path.join(root, ".bosun", "runs"))).toBe(false);
    },
  );
});
