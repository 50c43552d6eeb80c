/**
 * `bosun _ goal|sensor|playbook|schedule|claim|unclaim` through the CLI's main() (in process: a
 * few ms a call instead of a Node start; stdin through the built CLI): each verb's real output
 * validates against the JSON Schema `bosun _ schema VERB` publishes (ajv, draft 2020-12),
 * the files land where the pulse reads them, and refusals are JSON errors with their exit codes.
 */
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/proc/run-process.js";
import { makeGitRepo } from "../helpers/git-repo.js";
import { runMainInProcess } from "../helpers/in-process-cli.js";
import { makeTestDir } from "../helpers/testdir.js";
import {
  BOSUN_CLI,
  assertBosunBuilt,
  createBosunEnv,
  expectNoInternalError,
} from "../helpers/run-bosun.js";

/** A repository and a hermetic home to run bosun in. */
interface Repo {
  root: string;
  home: string;
}

async function makeRepo(): Promise<Repo> {
  const root = await makeGitRepo();
  const home = join(await makeTestDir(), "home");
  await mkdir(home, { recursive: true });
  return { root, home };
}

/** Runs `bosun _ <args>` and returns its one JSON document, after checking the exit code. */
async function runVerb(
  repo: Repo,
  args: readonly string[],
  exitCode = 0,
): Promise<Record<string, unknown>> {
  const result = await runMainInProcess(
    ["--root", repo.root, "_", ...args],
    createBosunEnv(repo.home),
  );
  return parseOutput(result, exitCode);
}

/** Runs `bosun _ <args>` with `stdinText` on stdin. */
async function runVerbWithStdin(
  repo: Repo,
  args: readonly string[],
  stdinText: string,
): Promise<Record<string, unknown>> {
  const stdinFile = join(repo.home, "stdin.txt");
  await writeFile(stdinFile, stdinText);
  const piped = await runProcess({
    command: process.execPath,
    args: [BOSUN_CLI, "_", ...args],
    cwd: repo.root,
    env: createBosunEnv(repo.home),
    stdinFile,
    timeoutMs: 30_000,
  });
  return parseOutput(
    { exitCode: piped.exitCode, stdout: piped.stdout, stderr: piped.stderrTail },
    0,
  );
}

function parseOutput(
  result: { exitCode: number | null; stdout: string; stderr: string },
  exitCode: number,
): Record<string, unknown> {
  expectNoInternalError(result);
  expect(result.exitCode, result.stderr).toBe(exitCode);
  const lines = result.stdout.split("\n").filter((line) => line.trim() !== "");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as Record<string, unknown>;
}

/** Validates outputs against the schemas the CLI itself publishes. */
function createValidator(repo: Repo): (verb: string, output: unknown) => Promise<void> {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return async (verb, output) => {
    let validate = compiled.get(verb);
    if (validate === undefined) {
      const published = await runVerb(repo, ["schema", verb]);
      expect(published).toMatchObject({ contract: 1, verb });
      validate = ajv.compile(published["schema"] as object);
      compiled.set(verb, validate);
    }
    if (!validate(output))
      throw new Error(
        `${verb} output does not match its schema: ${ajv.errorsText(validate.errors)}`,
      );
  };
}

beforeAll(() => {
  assertBosunBuilt();
});

describe("bosun _ pulse file verbs", () => {
  it("write, list and archive goals, a sensor and the playbook, as the pulse reads them", async () => {
    const repo = await makeRepo();
    const check = createValidator(repo);
    const pulseDir = join(repo.root, ".bosun", "pulse");

    const written = await runVerb(repo, [
      "goal",
      "write",
      "tests-green",
      "All tests pass on main.",
    ]);
    await check("goal.write", written);
    expect(written).toEqual({
      contract: 1,
      goal: { id: "tests-green", text: "All tests pass on main." },
      file: join(pulseDir, "goals", "tests-green.md"),
    });
    const piped = await runVerbWithStdin(
      repo,
      ["goal", "write", "docs", "-"],
      "README covers the pulse.\n",
    );
    await check("goal.write", piped);
    const listed = await runVerb(repo, ["goal", "list"]);
    await check("goal.list", listed);
    expect(listed["goals"]).toEqual([
      { id: "docs", text: "README covers the pulse.\n" },
      { id: "tests-green", text: "All tests pass on main." },
    ]);
    const archived = await runVerb(repo, ["goal", "archive", "docs"]);
    await check("goal.archive", archived);
    expect(await readFile(archived["archivedFile"] as string, "utf8")).toBe(
      "README covers the pulse.\n",
    );
    expect(await readdir(join(pulseDir, "goals", "archive"))).toHaveLength(1);
    const gone = await runVerb(repo, ["goal", "archive", "docs"], 1);
    await check("error", gone);
    expect(gone).toMatchObject({ error: { code: "state", exitCode: 1 } });

    const sensor = await runVerbWithStdin(
      repo,
      ["sensor", "write", "ci", "-", "--interval", "60"],
      '#!/bin/sh\necho \'{"signal": "green"}\'\n',
    );
    await check("sensor.write", sensor);
    expect(sensor).toMatchObject({ name: "ci", intervalSec: 60 });
    const sensorFile = join(pulseDir, "sensors", "ci");
    expect((await stat(sensorFile)).mode & 0o777).toBe(0o755);
    expect(await readFile(sensorFile, "utf8")).toBe(
      '#!/bin/sh\n# bosun:interval=60\necho \'{"signal": "green"}\'\n',
    );
    const hidden = await runVerb(repo, ["sensor", "write", ".hidden", "echo"], 2);
    expect(hidden).toMatchObject({ error: { code: "usage" } });

    const first = await runVerb(repo, ["playbook", "write", "# Playbook\nask-first: start_run\n"]);
    await check("playbook.write", first);
    expect(first).toMatchObject({ isChanged: true, previousVersionFile: null });
    const same = await runVerb(repo, ["playbook", "write", "# Playbook\nask-first: start_run\n"]);
    expect(same).toMatchObject({ isChanged: false, previousVersionFile: null });
    const second = await runVerb(repo, ["playbook", "write", "# Playbook v2\n"]);
    await check("playbook.write", second);
    expect(await readFile(second["previousVersionFile"] as string, "utf8")).toBe(
      "# Playbook\nask-first: start_run\n",
    );
    expect(await readFile(join(pulseDir, "PLAYBOOK.md"), "utf8")).toBe("# Playbook v2\n");
  });

  it("write, list and remove schedules, and refuse one without exactly one of --in and --every", async () => {
    const repo = await makeRepo();
    const check = createValidator(repo);
    const before = Date.now();
    const once = await runVerb(repo, [
      "schedule",
      "write",
      "look",
      "--in",
      "60",
      "--note",
      "look at CI",
    ]);
    await check("schedule.write", once);
    const schedule = once["schedule"] as { nextAtMs: number; inSec: number };
    expect(schedule.inSec).toBe(60);
    expect(schedule.nextAtMs).toBeGreaterThanOrEqual(before + 60_000);
    const every = await runVerb(repo, [
      "schedule",
      "write",
      "deps",
      "--every",
      "3600",
      "--note",
      "check deps",
    ]);
    await check("schedule.write", every);
    const listed = await runVerb(repo, ["schedule", "list"]);
    await check("schedule.list", listed);
    expect((listed["schedules"] as Array<{ id: string }>).map((item) => item.id)).toEqual([
      "deps",
      "look",
    ]);
    expect(listed["nextAtMs"]).toBe(schedule.nextAtMs);
    const removed = await runVerb(repo, ["schedule", "rm", "look"]);
    await check("schedule.rm", removed);
    expect(removed).toMatchObject({ schedule: { id: "look" } });
    expect(await runVerb(repo, ["schedule", "rm", "look"], 1)).toMatchObject({
      error: { code: "state" },
    });
    for (const args of [
      ["schedule", "write", "x", "--note", "n"],
      ["schedule", "write", "x", "--in", "5", "--every", "5", "--note", "n"],
      ["schedule", "write", "x", "--in", "0", "--note", "n"],
      ["schedule", "write", "x", "--in", "5"],
      ["schedule", "write", "../x", "--in", "5", "--note", "n"],
    ]) {
      const refused = await runVerb(repo, args, 2);
      await check("error", refused);
      expect(refused, args.join(" ")).toMatchObject({ error: { code: "usage", exitCode: 2 } });
    }
    const empty = await runVerb(repo, ["schedule", "list"]);
    expect((empty["schedules"] as unknown[]).length).toBe(1);
  });

  it("claim a resource once: a second holder gets exit 1 (state), only the holder releases it", async () => {
    const repo = await makeRepo();
    const check = createValidator(repo);
    const claimed = await runVerb(repo, ["claim", "port-3000", "--holder", "w1", "--ttl", "600"]);
    await check("claim", claimed);
    expect(claimed).toMatchObject({
      claim: { resource: "port-3000", holder: "w1" },
      isRenewed: false,
      tookOverFrom: null,
    });
    const renewed = await runVerb(repo, ["claim", "port-3000", "--holder", "w1"]);
    await check("claim", renewed);
    expect(renewed).toMatchObject({ isRenewed: true });

    const refused = await runVerb(repo, ["claim", "port-3000", "--holder", "w2"], 1);
    await check("error", refused);
    expect(refused).toMatchObject({ error: { code: "state", exitCode: 1 } });
    expect((refused["error"] as { message: string }).message).toContain('claimed by "w1"');
    expect(await runVerb(repo, ["unclaim", "port-3000", "--holder", "w2"], 1)).toMatchObject({
      error: { code: "state" },
    });

    const released = await runVerb(repo, ["unclaim", "port-3000", "--holder", "w1"]);
    await check("unclaim", released);
    expect(released).toEqual({ contract: 1, resource: "port-3000", isReleased: true });
    const taken = await runVerb(repo, [
      "claim",
      "port-3000",
      "--holder",
      "w2",
      "--pid",
      String(process.pid),
    ]);
    await check("claim", taken);
    expect(taken).toMatchObject({ claim: { holder: "w2", pid: process.pid } });
    expect(await runVerb(repo, ["claim", "x", "--holder", "w", "--ttl", "0"], 2)).toMatchObject({
      error: { code: "usage" },
    });
  });
});
