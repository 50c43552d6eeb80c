/**
 * `kill -9` of a team run at three moments — a worker at work, a merge being tested, the planner
 * at work — then `bosun run --resume`: the same end state as a run never interrupted (every task
 * merged exactly once, green), and nothing the killed bosun started is left running.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { readRunEvents } from "../../src/store/run-read.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import { assertCliBuilt, filterEvents, type OfflineRepo } from "../helpers/offline-repo.js";
import { listProcessesWithHome } from "../helpers/process-list.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, VERIFY, writeTaskFile, type TeamSteps } from "../helpers/team-repo.js";
import {
  countMerges,
  createScenarioRepo,
  listIntegrationMerges,
  makePlan,
  readIntegrationFile,
  runOnIntegration,
  teamArgs,
} from "../helpers/team-scenario.js";
import { isPidRunning } from "../helpers/testdir.js";
import { waitFor } from "../helpers/wait-for.js";

const repos: OfflineRepo[] = [];
const orphans: number[] = [];

beforeAll(assertCliBuilt);

afterEach(async () => {
  // A failed test must not leave its held process sleeping.
  for (const pid of orphans.splice(0)) killQuietly(pid);
  for (const repo of repos.splice(0)) await repo.cleanup();
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone, which is what the test wants.
  }
}

const PLAN = makePlan([{ id: "a" }, { id: "b" }]);

/** Shell: note this process's pid in $HOME/<name>.pid, then become a long sleep (until killed). */
function holdCommand(name: string): string {
  return `echo $$ > "$HOME/${name}.pid" && exec sleep 300`;
}

/** The steps of an uninterrupted run of PLAN, after `first` (steps that hold, played once). */
function makeSteps(first: TeamSteps): TeamSteps {
  return [
    ...first,
    { seat: "planner", actions: [{ report: PLAN }] },
    { seat: "worker", task: "a", actions: writeTaskFile("a") },
    { seat: "worker", task: "b", actions: writeTaskFile("b") },
    { seat: "critic", actions: [APPROVE] },
  ];
}

/**
 * Starts the run, waits until `isReady` sees the moment to kill it (reading the pid a held process
 * wrote to $HOME/<held>.pid), then SIGKILLs bosun's whole process group: no cleanup runs, and
 * the held process, in a group of its own, lives on as an orphan. Returns the run and the orphan.
 */
async function killRunWhen(
  repo: OfflineRepo,
  args: readonly string[],
  held: string,
  isReady: (events: readonly RunEvent[]) => boolean,
): Promise<{ runId: string; orphanPid: number }> {
  const bosun = repo.startCli(args);
  const pidFile = join(repo.home, `${held}.pid`);
  const found = await waitFor(`bosun to reach the moment (${held}) to kill it`, async () => {
    if (!existsSync(pidFile)) return undefined;
    const pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const { runId, events } = await repo.readOnlyRun();
    return isReady(events) ? { runId, orphanPid: pid } : undefined;
  });
  orphans.push(found.orphanPid);
  process.kill(-bosun.pid, "SIGKILL");
  expect((await bosun.result).exitCode).toBeNull();
  expect(isPidRunning(found.orphanPid)).toBe(true);
  return found;
}

/** Resumes the run and checks it ends as an uninterrupted run would, with the orphan gone. */
async function resumeAndExpectSameEnd(
  repo: OfflineRepo,
  runId: string,
  orphanPid: number,
): Promise<{ stderr: string; events: RunEvent[] }> {
  const resumed = await repo.runCli(["run", "--resume", runId]);
  expectNoInternalError(resumed);
  expect(resumed.exitCode, resumed.stderr).toBe(0);
  expect(isPidRunning(orphanPid)).toBe(false);
  // Nothing either bosun started lives on: every process of the test's runs has HOME=repo.home.
  expect(await listProcessesWithHome(repo.home)).toEqual([]);
  const { run, events } = await repo.readOnlyRun();
  expect(run).toMatchObject({ status: "succeeded" });
  expect(filterEvents(events, "run.resumed")).toHaveLength(1);
  expect(filterEvents(events, "plan.created")).toHaveLength(1);
  // Every task merged exactly once: in the journal and in git.
  expect(countMerges(events)).toEqual({ a: 1, b: 1 });
  expect([...(await listIntegrationMerges(repo, runId))].sort()).toEqual([
    "bosun: merge task a (Task a)",
    "bosun: merge task b (Task b)",
  ]);
  expect(await readIntegrationFile(repo, runId, "a.txt")).toBe("a");
  expect(await readIntegrationFile(repo, runId, "b.txt")).toBe("b");
  return { stderr: resumed.stderr, events };
}

describe("bosun run --execute killed with -9, then --resume", () => {
  it("while a worker works: its orphan is killed, its dispatch re-run, every task merged once", async () => {
    const hold: OfflineAction = { run: holdCommand("worker") };
    const repo = await createScenarioRepo(
      makeSteps([{ seat: "worker", task: "a", times: 1, actions: [hold] }]),
    );
    repos.push(repo);
    const { runId, orphanPid } = await killRunWhen(repo, teamArgs(VERIFY), "worker", () => true);

    const { stderr, events } = await resumeAndExpectSameEnd(repo, runId, orphanPid);

    expect(stderr).toMatch(
      /Killed (an agent left running by an earlier bosun process|processes left running by this run.s earlier process)/,
    );
    // a's worker ran twice (the killed dispatch and its re-run), in the same worktree.
    const workerA = filterEvents(events, "dispatch.started", { seat: "worker" }).filter(
      (event) => event.taskId === "a",
    );
    expect(workerA).toMatchObject([
      { round: 1, attempt: 1 },
      { round: 1, attempt: 1 },
    ]);
    expect(
      filterEvents(events, "worktree.created")
        .map((event) => event.taskId)
        .sort(),
    ).toEqual(["a", "b"]);
  });

  it("mid-merge (its tests running on the integration branch): the merge is finished, not redone", async () => {
    // The first test run after a merge (in bosun's integration checkout, a task's file in it) holds.
    const HOLD = [
      `case "$PWD" in */integration) ;; *) exit 0 ;; esac`,
      `[ -e a.txt ] || [ -e b.txt ] || exit 0`,
      `mkdir "$HOME/held-once" 2>/dev/null || exit 0`,
      holdCommand("merge-verify"),
      "",
    ].join("\n");
    const repo = await createScenarioRepo(makeSteps([]), { "hold.sh": HOLD });
    repos.push(repo);
    const verify = `${VERIFY} && sh hold.sh`;
    const { runId, orphanPid } = await killRunWhen(
      repo,
      teamArgs(verify),
      "merge-verify",
      (events) => filterEvents(events, "merge.started").length === 1,
    );
    const before = await readRunEvents(repo.paths, runId);
    const held = filterEvents(before, "merge.started")[0]?.taskId;
    expect(filterEvents(before, "merge.completed")).toEqual([]);

    const { stderr, events } = await resumeAndExpectSameEnd(repo, runId, orphanPid);

    expect(stderr).toContain("Killed a verify command left running by an earlier bosun process");
    // The held task's merge had landed: resume tested and recorded it, and merged nothing again.
    expect(
      filterEvents(events, "merge.started").filter((event) => event.taskId === held),
    ).toHaveLength(1);
    expect(await runOnIntegration(repo, runId, VERIFY)).toMatchObject({ exitCode: 0 });
  });

  it("while the planner works: its orphan is killed, the plan made once, every task merged once", async () => {
    const hold: OfflineAction = { run: holdCommand("planner") };
    const repo = await createScenarioRepo(
      makeSteps([{ seat: "planner", times: 1, actions: [hold] }]),
    );
    repos.push(repo);
    const { runId, orphanPid } = await killRunWhen(repo, teamArgs(VERIFY), "planner", () => true);
    expect(filterEvents(await readRunEvents(repo.paths, runId), "plan.created")).toEqual([]);

    const { stderr, events } = await resumeAndExpectSameEnd(repo, runId, orphanPid);

    expect(stderr).toMatch(
      /Killed (an agent left running by an earlier bosun process|processes left running by this run.s earlier process)/,
    );
    expect(filterEvents(events, "dispatch.started", { seat: "planner" })).toHaveLength(2);
  });

  it("right after a merge was journaled (before the task was marked merged): it is not recorded twice", async () => {
    const repo = await createScenarioRepo(
      makeSteps([{ seat: "planner", actions: [{ report: makePlan([{ id: "a" }]) }] }]),
    );
    repos.push(repo);
    expect((await repo.runCli(teamArgs(VERIFY))).exitCode).toBe(0);
    const { runId } = await repo.readOnlyRun();
    // kill -9 right after merge.completed reached the disk leaves the journal ending there (what
    // came after, the task's status and the summary, is written again by the resumed run).
    const file = repo.paths.eventsFile(runId);
    const lines = (await readFile(file, "utf8")).split("\n");
    const merged = lines.findIndex((line) => line.includes('"type":"merge.completed"'));
    expect(merged).toBeGreaterThan(0);
    await writeFile(file, `${lines.slice(0, merged + 1).join("\n")}\n`);
    await rm(repo.paths.runFile(runId));

    const resumed = await repo.runCli(["run", "--resume", runId]);

    expectNoInternalError(resumed);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded" });
    expect(countMerges(events)).toEqual({ a: 1 });
    expect(filterEvents(events, "merge.started")).toHaveLength(1);
    expect(await listIntegrationMerges(repo, runId)).toEqual(["bosun: merge task a (Task a)"]);
  });
});
