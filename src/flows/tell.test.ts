import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { StateError, UsageError } from "../errors.js";
import { readTells, writeTell } from "../human/tells.js";
import { writeBoard } from "../store/board-file.js";
import { reduceRunEvents } from "../store/run-state.js";
import { buildBoard } from "./team/board.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { buildRunIndex, indexRunEvent } from "../store/run-index.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import type { RunEvent, RunEventInput } from "../store/schema/events.js";
import { RunEventSchema } from "../store/schema/events.js";
import { MAX_TELL_CHARS } from "../store/schema/tells.js";
import {
  TEAM_RUN_ID,
  makeJournal,
  makePlan,
  makePlanTask,
  makeReviewCreated,
  makeTeamCreated,
  writeRunDir,
} from "../../test/helpers/team-run.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import type { BosunEvent } from "./events.js";
import type { RoundScope, RunContext } from "./flow-context.js";
import { tellWorker } from "./tell.js";
import { deliverTells } from "./tell-delivery.js";

const REVIEW_ID = "20261201-100000-c3d4";

async function makeRepo(): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  await writeRunDir(
    paths,
    TEAM_RUN_ID,
    makeJournal([makeTeamCreated(), { type: "plan.created", taskIds: ["a", "b"], attempt: 1 }]),
    makePlan([makePlanTask("a"), makePlanTask("b", ["a"])]),
  );
  await writeRunDir(paths, REVIEW_ID, makeJournal([makeReviewCreated()]), null);
  return paths;
}

describe("tellWorker", () => {
  it("writes a tell for a run's task and says when the worker gets it", async () => {
    const paths = await makeRepo();
    const told = await tellWorker(paths, {
      runId: TEAM_RUN_ID,
      taskId: "b",
      text: "  Keep the old endpoint working.\n",
      source: "cli",
    });
    expect(told.tell).toMatchObject({
      runId: TEAM_RUN_ID,
      taskId: "b",
      text: "Keep the old endpoint working.",
      source: "cli",
    });
    expect(told.isRunLive).toBe(false);
    expect(told.message).toContain("delivered with b's next worker prompt");
    expect(told.message).toContain(`bosun run --resume ${TEAM_RUN_ID}`);
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toEqual([told.tell]);
  });

  it("refuses an empty message, one over the cap (naming it), and a task the run does not have", async () => {
    const paths = await makeRepo();
    const tell = (taskId: string | undefined, text: string) =>
      tellWorker(paths, {
        runId: taskId === "T-001" || taskId === "T-9" ? REVIEW_ID : TEAM_RUN_ID,
        ...(taskId === undefined ? {} : { taskId }),
        text,
        source: "cli",
      });
    await expect(tell(undefined, " \n")).rejects.toThrow(UsageError);
    await expect(tell(undefined, "x".repeat(MAX_TELL_CHARS + 1))).rejects.toThrow(
      `at most ${MAX_TELL_CHARS}`,
    );
    await expect(tell("zz", "hi")).rejects.toThrow("has no task zz. Its tasks: a, b");
    await expect(tell("T-9", "hi")).rejects.toThrow("works on task T-001 only");
    await expect(tell("../x", "hi")).rejects.toThrow(UsageError);
    expect(await tell("T-001", "x".repeat(MAX_TELL_CHARS))).toMatchObject({
      tell: { taskId: "T-001" },
    });
    expect((await readTells(paths, TEAM_RUN_ID)).pending).toEqual([]);
  });

  it("refuses a finished run and a team task whose worker will not run again", async () => {
    const paths = await makeRepo();
    await writeRunDir(
      paths,
      REVIEW_ID,
      makeJournal([
        makeReviewCreated(),
        { type: "run.completed", status: "succeeded", reason: "approved" },
      ]),
      null,
    );
    await expect(
      tellWorker(paths, { runId: REVIEW_ID, text: "hi", source: "cli" }),
    ).rejects.toThrow(
      new StateError(
        `Run ${REVIEW_ID} has finished (succeeded): no worker of it will run again, so nothing was told. Start a new run instead.`,
      ),
    );
    const events = makeJournal([
      makeTeamCreated(),
      { type: "plan.created", taskIds: ["a", "b"], attempt: 1 },
      { type: "task.status", taskId: "a", status: "merged" },
    ]);
    const run = reduceRunEvents(events, TEAM_RUN_ID);
    if (run.flow !== "team") throw new Error("a team run");
    const plan = makePlan([makePlanTask("a"), makePlanTask("b", ["a"])]);
    await writeBoard(paths, buildBoard(run, buildRunIndex(events), plan));
    await expect(
      tellWorker(paths, { runId: TEAM_RUN_ID, taskId: "a", text: "hi", source: "cli" }),
    ).rejects.toThrow("Task a of run 20261201-090000-a1b2 is merged");
  });

  it("refuses a task of a team run that has no plan yet", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await writeRunDir(paths, TEAM_RUN_ID, makeJournal([makeTeamCreated()]), null);
    await expect(
      tellWorker(paths, { runId: TEAM_RUN_ID, taskId: "a", text: "hi", source: "cli" }),
    ).rejects.toThrow("has no plan yet");
    // The whole run can be told: its first worker gets it.
    await expect(
      tellWorker(paths, { runId: TEAM_RUN_ID, text: "hi", source: "cli" }),
    ).resolves.toMatchObject({
      message: expect.stringContaining("the run's next worker prompt") as string,
    });
  });
});

/** A run context over a journal in memory: `record` numbers, validates and indexes each event. */
function makeContext(paths: BosunPaths, journal: readonly RunEvent[]) {
  const events = [...journal];
  const state = buildRunIndex(events);
  const emitted: BosunEvent[] = [];
  const ctx: RunContext = {
    paths,
    config: DEFAULT_CONFIG,
    runId: TEAM_RUN_ID,
    state,
    // Like RunStore: the event is indexed only once its (group-committed) write is done.
    record: async (input: RunEventInput) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const event = RunEventSchema.parse({
        ...input,
        seq: events.length + 1,
        ts: "2026-12-01T10:00:00.000Z",
      });
      events.push(event);
      indexRunEvent(state, event);
      return event;
    },
    emit: (event) => emitted.push(event),
  };
  return { ctx, events, emitted };
}

function makeScope(taskId: string, round: number): RoundScope {
  return {
    taskId,
    round,
    cwd: "/nowhere",
    harnesses: { worker: "offline" },
    maxRounds: 3,
    timeoutSec: 0,
    resumeCommand: "bosun run --resume x",
  };
}

describe("deliverTells", () => {
  it("journals each tell once, for its task or for the first worker of a run-wide one, and moves the file", async () => {
    const paths = await makeRepo();
    const { ctx, events } = makeContext(paths, makeJournal([makeTeamCreated()]));
    const forAll = await tellWorker(paths, {
      runId: TEAM_RUN_ID,
      text: "line 1\n## line 2",
      source: "monitor",
    });
    const forB = await tellWorker(paths, {
      runId: TEAM_RUN_ID,
      taskId: "b",
      text: "b only",
      source: "cli",
    });

    // Two tasks start at once: the run-wide tell goes to one of them, never to both.
    const [a, b] = await Promise.all([
      deliverTells(ctx, makeScope("a", 1)),
      deliverTells(ctx, makeScope("b", 1)),
    ]);
    const delivered = events.filter((event) => event.type === "tell.delivered");
    expect(delivered.map((event) => event.tellId).sort()).toEqual(
      [forAll.tell.id, forB.tell.id].sort(),
    );
    expect(delivered.find((event) => event.tellId === forB.tell.id)?.taskId).toBe("b");
    const takerId = delivered.find((event) => event.tellId === forAll.tell.id)?.taskId;
    const [taker, other] = takerId === "a" ? [a, b] : [b, a];
    expect(taker).toContain("## Messages from the human, sent while you worked");
    // Quoted line by line: a message cannot pass for a heading of bosun's prompt.
    expect(taker).toContain("> line 1\n> ## line 2");
    expect(other).not.toContain("line 1");
    expect(a).not.toContain("b only");
    expect(b).toContain("> b only");
    const onDisk = await readTells(paths, TEAM_RUN_ID);
    expect(onDisk.pending).toEqual([]);
    expect(onDisk.delivered.map((tell) => tell.id).sort()).toEqual(
      [forB.tell.id, forAll.tell.id].sort(),
    );

    // The round again (a re-dispatch after a crash): the same messages, nothing journaled.
    expect(await deliverTells(ctx, makeScope("b", 1))).toBe(b);
    // The next round: nothing (each tell reaches one round's worker).
    expect(await deliverTells(ctx, makeScope("b", 2))).toBe("");
    expect(events.filter((event) => event.type === "tell.delivered")).toHaveLength(2);
  });

  it("never delivers again a tell the journal has, when bosun died before moving its file", async () => {
    const paths = await makeRepo();
    const told = await tellWorker(paths, {
      runId: TEAM_RUN_ID,
      taskId: "a",
      text: "once",
      source: "cli",
    });
    const { ctx, events } = makeContext(
      paths,
      makeJournal([
        makeTeamCreated(),
        {
          type: "tell.delivered",
          taskId: "a",
          round: 1,
          tellId: told.tell.id,
          text: "once",
          source: "cli",
          sentAt: told.tell.createdAt,
        },
      ]),
    );
    expect(await deliverTells(ctx, makeScope("a", 2))).toBe("");
    expect(events).toHaveLength(2);
    expect(await readTells(paths, TEAM_RUN_ID)).toMatchObject({
      pending: [],
      delivered: [{ id: told.tell.id }],
    });
  });

  it("warns once about a damaged tell file and delivers the rest", async () => {
    const paths = await makeRepo();
    const told = await tellWorker(paths, { runId: TEAM_RUN_ID, text: "fine", source: "cli" });
    await writeTell(paths, { ...told.tell, id: `tell-${TEAM_RUN_ID}-x` });
    await writeFile(paths.tellFile(`tell-${TEAM_RUN_ID}-x`), "{");
    const { ctx, emitted } = makeContext(paths, makeJournal([makeTeamCreated()]));
    expect(await deliverTells(ctx, makeScope("a", 1))).toContain("> fine");
    await deliverTells(ctx, makeScope("a", 2));
    expect(emitted).toMatchObject([
      { type: "warning", message: expect.stringContaining("not valid JSON") as string },
    ]);
  });
});
