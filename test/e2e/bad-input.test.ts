/**
 * Generated bad input for every external input bosun reads — config files, CLI flags and ids,
 * task cards, answers, agent report files, a damaged `.bosun/` — run against a repository with a
 * finished run and a run waiting on a human. For every case: never exit 70 or "internal error",
 * the file or argument at fault is named, and nothing already recorded changes.
 */
import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { listRunIds, readRun } from "../../src/store/run-read.js";
import {
  listFlagCases,
  listIdCases,
  listRootCases,
  listTaskCardCases,
} from "../helpers/bad-input-args.js";
import { listStateCases } from "../helpers/bad-input-state.js";
import {
  REPORT_AGENT_SCRIPT,
  listBadConfigTexts,
  listBadReports,
  listConfigCases,
  listOfflineScriptCases,
  writeReportCase,
  type BadInputCase,
  type Sandbox,
} from "../helpers/bad-inputs.js";
import { runMainInProcess, type InProcessResult } from "../helpers/in-process-cli.js";
import { assertCliBuilt, createOfflineRepo, type OfflineRepo } from "../helpers/offline-repo.js";
import {
  diffTreeSnapshots,
  isAppendOnly,
  readTreeSnapshot,
  restoreTreeSnapshot,
  type TreeSnapshot,
} from "../helpers/tree-snapshot.js";

const GIT_ENV = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };

let repo: OfflineRepo;
let sandbox: Sandbox;
/** The sandbox as the fixture left it: the repo (no .git), .git/refs and BOSUN_HOME. */
let pristine: { repo: TreeSnapshot; refs: TreeSnapshot; home: TreeSnapshot };
let casesRun = 0;

beforeAll(async () => {
  assertCliBuilt();
  repo = await createOfflineRepo([
    {
      role: "worker",
      actions: [
        { write: { path: "a.txt", content: "a\n" } },
        { report: { files_changed: ["a.txt"], notes: "", tests: [] } },
      ],
    },
    {
      role: "reviewer",
      actions: [
        { report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] } },
      ],
    },
  ]);
  const done = await repo.runCli([
    "review",
    "--goal",
    "Add a.",
    "--worker",
    "offline",
    "--reviewer",
    "offline",
  ]);
  expect(done.exitCode, done.stderr).toBe(0);
  await repo.writeScript([
    {
      role: "worker",
      actions: [
        { write: { path: "b.txt", content: "b\n" } },
        { report: { files_changed: ["b.txt"], notes: "", tests: [] } },
      ],
    },
    {
      role: "reviewer",
      actions: [
        {
          report: {
            decision: "changes_required",
            blocking_issues: [{ severity: "high", reason: "more" }],
          },
        },
      ],
    },
  ]);
  const waiting = await repo.runCli([
    "review",
    "--goal",
    "Add b.",
    "--worker",
    "offline",
    "--reviewer",
    "offline",
    "--max-rounds",
    "1",
  ]);
  expect(waiting.exitCode, waiting.stderr).toBe(3);
  const runs = await Promise.all(
    (await listRunIds(repo.paths)).map((id) => readRun(repo.paths, id)),
  );
  const doneRun = runs.find((run) => run?.status === "succeeded");
  const waitingRun = runs.find((run) => run?.status === "needs_human");
  if (doneRun?.id === undefined || waitingRun?.openAskIds[0] === undefined)
    throw new Error("the fixture runs did not end as expected");
  const inputs = await realpath(await mkdtemp(path.join(os.tmpdir(), "bosun-bad-input-")));
  sandbox = {
    root: repo.root,
    home: repo.home,
    inputs,
    workspaceConfig: path.join(repo.root, "bosun.yaml"),
    globalConfig: path.join(repo.home, "config.yaml"),
    doneRun: doneRun.id,
    waitingRun: waitingRun.id,
    openAsk: waitingRun.openAskIds[0],
  };
  pristine = readSandbox();
}, 60_000);

afterAll(async () => {
  await repo?.cleanup();
  if (sandbox !== undefined) await rm(sandbox.inputs, { recursive: true, force: true });
  process.stdout.write(`bad-input: ${casesRun} generated cases\n`);
});

function readSandbox(): typeof pristine {
  return {
    repo: readTreeSnapshot(sandbox.root, [".git"]),
    refs: readTreeSnapshot(path.join(sandbox.root, ".git", "refs")),
    // The home holds the global config and the offline script; the CLI helper's logs are its own.
    home: readTreeSnapshot(sandbox.home, (name) => name.startsWith("cli-")),
  };
}

/**
 * Runs one case (in-process, or through dist/cli.js when `isSpawned`), judges it, and puts the
 * sandbox back. Returns the exit code and what was wrong ([] when bosun handled it well).
 */
async function runCase(
  badCase: BadInputCase,
  options: { root?: string; isSpawned?: boolean } = {},
): Promise<{ exitCode: number; problems: string[] }> {
  casesRun += 1;
  await badCase.setup?.();
  const before = readSandbox();
  const args = ["--root", options.root ?? sandbox.root, ...badCase.args];
  let result: InProcessResult;
  if (options.isSpawned === true) {
    const spawned = await repo.runCli(args);
    result = { ...spawned, exitCode: spawned.exitCode ?? -1 };
  } else {
    result = await runMainInProcess(args, {
      BOSUN_HOME: sandbox.home,
      HOME: sandbox.home,
      NO_COLOR: "1",
      ...GIT_ENV,
      ...badCase.env,
    });
  }
  const after = readSandbox();
  const problems = judge(badCase, result, before, after);
  restoreTreeSnapshot(sandbox.root, pristine.repo, after.repo);
  restoreTreeSnapshot(sandbox.home, pristine.home, after.home);
  const how = options.isSpawned === true ? " (dist/cli.js)" : "";
  return {
    exitCode: result.exitCode,
    problems: problems.map((problem) => `${badCase.name}${how}: ${problem}`),
  };
}

function judge(
  badCase: BadInputCase,
  result: InProcessResult,
  before: typeof pristine,
  after: typeof pristine,
): string[] {
  const problems: string[] = [];
  const output = `${result.stderr}\n${result.stdout}`;
  const shown = `exit ${result.exitCode}: ${result.stderr.slice(0, 400)}`;
  if (result.exitCode === 70 || /internal error|This is a bug/.test(result.stderr))
    return [`internal error (${shown})`];
  const { exitCode } = badCase;
  if (typeof exitCode === "number" && result.exitCode !== exitCode)
    problems.push(`expected exit ${exitCode}, got ${shown}`);
  if (exitCode === "refuse" && result.exitCode === 0) problems.push(`accepted (${shown})`);
  const isRefused = result.exitCode !== 0 && result.exitCode !== 3;
  for (const group of isRefused ? badCase.mentions : []) {
    if (!group.some((text) => output.includes(text)))
      problems.push(`does not name ${group.join(" or ")} (${shown})`);
  }
  if (badCase.jsonErrorFile !== undefined) {
    const problem = checkValidateJson(result.stdout, badCase.jsonErrorFile);
    if (problem !== undefined) problems.push(problem);
  }
  const changes = [
    ...diffTreeSnapshots(before.repo, after.repo),
    ...diffTreeSnapshots(before.refs, after.refs).map((change) => `git ref ${change}`),
    ...diffTreeSnapshots(before.home, after.home).map((change) => `BOSUN_HOME ${change}`),
  ].filter((change) => !isAllowedChange(change, badCase, before, after));
  if (changes.length > 0) problems.push(`changed what was recorded: ${changes.join(", ")}`);
  return problems;
}

const ValidateJsonSchema = z.strictObject({
  isValid: z.literal(false),
  errors: z
    .array(
      z.strictObject({
        file: z.string(),
        line: z.number().int().positive().optional(),
        key: z.string(),
        message: z.string().min(1),
      }),
    )
    .min(1),
});

/** `validate --json` on a bad file: `{ isValid: false, errors: [{ file, line?, key, message }] }`. */
function checkValidateJson(stdout: string, file: string): string | undefined {
  let parsed;
  try {
    parsed = ValidateJsonSchema.safeParse(JSON.parse(stdout));
  } catch {
    return `validate --json printed no JSON: ${JSON.stringify(stdout.slice(0, 200))}`;
  }
  if (!parsed.success) return `validate --json printed ${stdout.slice(0, 300)}`;
  if (!parsed.data.errors.some((error) => error.file === file))
    return `validate --json does not name ${file}: ${stdout.slice(0, 300)}`;
  return undefined;
}

/** A valid resume may append to its run's events.jsonl and rebuild its run.json (a cache). */
function isAllowedChange(
  change: string,
  badCase: BadInputCase,
  before: typeof pristine,
  after: typeof pristine,
): boolean {
  if (badCase.resumes === undefined) return false;
  const runDir = path.join(".bosun", "runs", badCase.resumes);
  // A lock left by a dead process (or holding no pid) is stale: a resume takes it over.
  const lock = path.join(runDir, "lock");
  if (change === `removed ${lock}` || change === `changed ${lock}`) return true;
  const events = path.join(runDir, "events.jsonl");
  if (change === `changed ${events}`) return isAppendOnly(before.repo, after.repo, events);
  return change === `changed ${path.join(runDir, "run.json")}`;
}

async function runCases(cases: readonly BadInputCase[]): Promise<string[]> {
  const problems: string[] = [];
  for (const badCase of cases) problems.push(...(await runCase(badCase)).problems);
  return problems;
}

describe("bosun on generated bad input", () => {
  it("refuses every bad bosun.yaml and global config with exit 2, naming the file and key", async () => {
    const cases = [
      ...listConfigCases(sandbox, "workspace"),
      // The global file is read by the same code: every third bad text is enough there.
      ...listConfigCases(
        sandbox,
        "global",
        listBadConfigTexts().filter((_, i) => i % 3 === 0),
      ),
      ...listOfflineScriptCases(sandbox),
    ];
    expect(cases.length).toBeGreaterThan(300);
    expect(await runCases(cases)).toEqual([]);
  }, 120_000);

  it("refuses bad flags, ids, answers and task cards with exit 2, naming the argument or file", async () => {
    const cases = [
      ...listFlagCases(sandbox),
      ...listIdCases(sandbox),
      ...listTaskCardCases(sandbox),
    ];
    expect(cases.length).toBeGreaterThan(150);
    expect(await runCases(cases)).toEqual([]);
    const problems: string[] = [];
    for (const { root, ...badCase } of listRootCases(sandbox))
      problems.push(...(await runCase(badCase, { root })).problems);
    expect(problems).toEqual([]);
  }, 120_000);

  it("handles a damaged .bosun/ without an internal error, naming the damaged path", async () => {
    const cases = listStateCases(sandbox);
    expect(cases.length).toBeGreaterThan(150);
    expect(await runCases(cases)).toEqual([]);
  }, 120_000);

  it("is the same through the built CLI (dist/cli.js) for a sample of the cases", async () => {
    const every = (n: number) => (_: unknown, index: number) => index % n === 0;
    // A spawn costs ~50 in-process calls: a sample from every generator is enough to show the
    // built bundle behaves as the source does.
    const sample = [
      ...listConfigCases(sandbox, "workspace").filter(every(300)),
      ...listOfflineScriptCases(sandbox).filter(every(9)),
      ...listFlagCases(sandbox).filter(every(200)),
      ...listIdCases(sandbox).filter(every(150)),
      ...listTaskCardCases(sandbox).filter(every(30)),
      ...listStateCases(sandbox).filter(every(150)),
    ].filter((badCase) => badCase.env === undefined);
    expect(sample.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const badCase of sample) {
      const inProcess = await runCase(badCase);
      const spawned = await runCase(badCase, { isSpawned: true });
      problems.push(...inProcess.problems, ...spawned.problems);
      if (spawned.exitCode !== inProcess.exitCode)
        problems.push(
          `${badCase.name}: exit ${spawned.exitCode} spawned, ${inProcess.exitCode} in-process`,
        );
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it("fails a round cleanly on every bad worker or reviewer report file, naming the file", async () => {
    const reportRepo = await createOfflineRepo([], {
      agents: {
        fake: { template: `sh ${path.join(sandbox.inputs, "agent.sh")}`, parser: "plain" },
      },
    });
    try {
      await writeFile(path.join(sandbox.inputs, "agent.sh"), REPORT_AGENT_SCRIPT);
      const reportsDir = path.join(sandbox.inputs, "reports");
      const problems: string[] = [];
      for (const [index, report] of listBadReports().entries()) {
        casesRun += 1;
        const name = `${report.role} report: ${report.what}`;
        await writeReportCase(reportsDir, report);
        const bosunDir = path.join(reportRepo.root, ".bosun");
        const before = readTreeSnapshot(bosunDir);
        const result = await runMainInProcess(
          [
            "--root",
            reportRepo.root,
            // JSON lines carry each gate's full detail (the human printer shortens long lines).
            "--json",
            "review",
            "--goal",
            `Case ${index}.`,
            "--worker",
            "fake",
            "--reviewer",
            "fake",
            "--max-rounds",
            "1",
          ],
          {
            BOSUN_HOME: reportRepo.home,
            HOME: reportRepo.home,
            NO_COLOR: "1",
            BAD_REPORT_DIR: reportsDir,
            ...GIT_ENV,
          },
        );
        const after = readTreeSnapshot(bosunDir);
        const shown = `exit ${result.exitCode}: ${result.stderr.slice(-600)}`;
        if (result.exitCode === 70 || /internal error|This is a bug/.test(result.stderr))
          problems.push(`${name}: internal error (${shown})`);
        else if (result.exitCode !== 1 && result.exitCode !== 3)
          problems.push(`${name}: expected the run to fail or ask a human (${shown})`);
        else if (
          !result.stdout.includes(`${report.role === "worker" ? "work" : "review"}_report.json`)
        )
          problems.push(`${name}: does not name the report file (${shown})`);
        // Earlier runs stay as they were; this run adds its own files (and a cost line, an ask).
        const changed = diffTreeSnapshots(before, after).filter(
          (change) =>
            !change.startsWith("added ") &&
            !(change === "changed costs.jsonl" && isAppendOnly(before, after, "costs.jsonl")),
        );
        if (changed.length > 0) problems.push(`${name}: changed ${changed.join(", ")}`);
      }
      expect(problems).toEqual([]);
    } finally {
      await reportRepo.cleanup();
    }
  }, 120_000);
});
