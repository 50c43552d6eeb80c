/**
 * `bosun board [RUN] [--json]` through the built CLI, on run directories written by hand with the
 * real schemas: a current board.json is printed as it is, a missing or stale one is rebuilt from
 * events.jsonl and plan.json (and not written), and a review run is refused with a pointer to
 * `bosun status`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, realpath, rm } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBoard } from "../../src/flows/team/board.js";
import { readBoard, writeBoard } from "../../src/store/board-file.js";
import { createBosunPaths, type BosunPaths } from "../../src/store/paths.js";
import { buildRunIndex } from "../../src/store/run-index.js";
import { reduceRunEvents } from "../../src/store/run-state.js";
import type { Board } from "../../src/store/schema/board.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import type { Plan } from "../../src/store/schema/plan.js";
import {
  assertBosunBuilt,
  createBosunEnv,
  expectNoInternalError,
  runBosun,
  type BosunRun,
} from "../helpers/run-bosun.js";
import {
  TEAM_RUN_ID,
  makeDispatch,
  makeJournal,
  makePlan,
  makePlanTask,
  makeReviewCreated,
  makeTeamCreated,
  writeRunDir,
} from "../helpers/team-run.js";
import { makeTestDir } from "../helpers/testdir.js";

beforeAll(() => assertBosunBuilt());

const MERGED = "1".repeat(40);

/** a (merged) ──> b (round 2, codex at work) ──> c (waits on b) */
const PLAN = makePlan([
  makePlanTask("a", [], { title: "Add the settings table", estimate: { minutes: 30 } }),
  makePlanTask("b", ["a"], { title: "Serve the settings over the API", estimate: { minutes: 60 } }),
  makePlanTask("c", ["b"], { title: "Show the settings page", role: "frontend" }),
]);

const EVENTS: RunEvent[] = makeJournal([
  makeTeamCreated(),
  { type: "plan.created", taskIds: ["a", "b", "c"], attempt: 1 },
  { type: "plan.approved", by: "auto" },
  { type: "task.status", taskId: "a", status: "running" },
  { type: "round.started", taskId: "a", round: 1, head: "b".repeat(40) },
  ...makeDispatch("a", 1, "worker", "claude", 0.12),
  { type: "round.completed", taskId: "a", round: 1, verdict: "accept", fixItems: 0 },
  { type: "merge.completed", taskId: "a", commit: MERGED, previous: "b".repeat(40) },
  { type: "task.status", taskId: "a", status: "merged" },
  { type: "task.status", taskId: "b", status: "running" },
  { type: "round.started", taskId: "b", round: 1, head: MERGED },
  ...makeDispatch("b", 1, "worker", "claude", 0.2),
  { type: "round.completed", taskId: "b", round: 1, verdict: "fix", fixItems: 1 },
  { type: "round.started", taskId: "b", round: 2, head: MERGED },
  { type: "dispatch.started", taskId: "b", round: 2, seat: "worker", harness: "codex", attempt: 1 },
]);

/** A git repository with a hermetic `bosun` to run in it, and its paths. */
async function makeRepo(): Promise<{
  paths: BosunPaths;
  bosun: (...args: string[]) => Promise<BosunRun>;
}> {
  const dir = await realpath(await makeTestDir());
  const root = path.join(dir, "repo");
  await mkdir(root);
  expect(spawnSync("git", ["init", "-q", "."], { cwd: root }).status).toBe(0);
  const env = createBosunEnv(path.join(dir, "home"));
  return {
    paths: createBosunPaths(root),
    bosun: (...args) => runBosun(args, { cwd: root, env, timeoutMs: 60_000 }),
  };
}

/** The board after `events`, as the run's writer would have written it. */
function makeBoard(events: readonly RunEvent[], plan: Plan | null = PLAN): Board {
  const run = reduceRunEvents(events, TEAM_RUN_ID);
  if (run.flow !== "team") throw new Error("expected a team run");
  return buildBoard(run, buildRunIndex(events), plan);
}

function expectBoardJson(result: BosunRun, expected: Board): void {
  expectNoInternalError(result);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual(expected);
}

describe("bosun board", () => {
  it("prints the tasks by status, with waits, costs and the critical path", async () => {
    const { paths, bosun } = await makeRepo();
    await writeRunDir(paths, TEAM_RUN_ID, EVENTS, PLAN);
    await writeBoard(paths, makeBoard(EVENTS));
    const result = await bosun("board");
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "run      20261201-090000-a1b2  ● running
      goal     Add a settings page
      branch   bosun/20261201-090000-a1b2 at 1111111 (from bbbbbbb)

      pending (1)
        *  c  Show the settings page           frontend  -       -        $0.0000  waits on b
      running (1)
        *  b  Serve the settings over the API  backend   codex   round 2  $0.2000
      merged (1)
        *  a  Add the settings table           backend   claude  round 1  $0.1200  merged 1111111

      critical a → b → c  (marked *; about 120 min of estimated work)
      tasks    3: 1 pending · 1 running · 1 merged
      cost     $0.3200 of run budget $5.00"
    `);
  });

  it("prints a current board.json as it is, without reading the journal", async () => {
    const { paths, bosun } = await makeRepo();
    await writeRunDir(paths, TEAM_RUN_ID, EVENTS, PLAN);
    // Marked so that only the file can be the source of what is printed.
    const board = makeBoard(EVENTS);
    const marked = { ...board, title: "from board.json" };
    await writeBoard(paths, marked);
    expectBoardJson(await bosun("board", TEAM_RUN_ID, "--json"), marked);
    expect((await bosun("board", "a1b2")).stdout).toContain("goal     from board.json");
  });

  it("rebuilds a missing board from the journal and plan.json, read-only", async () => {
    const { paths, bosun } = await makeRepo();
    await writeRunDir(paths, TEAM_RUN_ID, EVENTS, PLAN);
    expectBoardJson(await bosun("board", "--json"), makeBoard(EVENTS));
    expect(existsSync(paths.boardFile(TEAM_RUN_ID))).toBe(false);
  });

  it("rebuilds a board that is behind the journal (a writer killed before its last write)", async () => {
    const { paths, bosun } = await makeRepo();
    const earlier = EVENTS.slice(0, -3);
    await writeRunDir(paths, TEAM_RUN_ID, EVENTS, PLAN, earlier.length);
    await writeBoard(paths, makeBoard(earlier));
    const result = await bosun("board", "--json");
    expectBoardJson(result, makeBoard(EVENTS));
    const board = JSON.parse(result.stdout) as Board;
    expect(board.tasks[1]).toMatchObject({ id: "b", round: 2, harness: "codex" });
    // What was on disk is left alone: the run's writer owns board.json.
    expect(await readBoard(paths, TEAM_RUN_ID)).toEqual(makeBoard(earlier));
  });

  it("says when the plan is not made yet", async () => {
    const { paths, bosun } = await makeRepo();
    await writeRunDir(paths, TEAM_RUN_ID, EVENTS.slice(0, 1), null);
    const result = await bosun("board");
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `plan     none yet: the planner is at work (watch with "bosun log --follow ${TEAM_RUN_ID}")`,
    );
    expect(result.stdout).toContain("tasks    0\n");
  });

  it("refuses a review run, pointing to bosun status", async () => {
    const { paths, bosun } = await makeRepo();
    const reviewId = "20261201-080000-c3d4";
    await writeRunDir(paths, reviewId, makeJournal([makeReviewCreated()]), null);
    const refusals = [await bosun("board", reviewId), await bosun("board", "--json", reviewId)];
    // Without run.json, the journal says what kind of run it is.
    await rm(paths.runFile(reviewId));
    refusals.push(await bosun("board", reviewId));
    for (const result of refusals) {
      expectNoInternalError(result);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `Run ${reviewId} is a review run; the board shows the tasks of a team run (bosun run). See this run with "bosun status ${reviewId}".`,
      );
    }
  });
});
