import { afterEach, describe, expect, it } from "vitest";
import {
  TEAM_OPTIONS,
  TEAM_RUN_ID,
  makeJournal,
  makePlan,
  makePlanTask,
  writeRunDir,
} from "../../test/helpers/team-run.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { StateError } from "../errors.js";
import { readAsk, writeAsk } from "../human/asks.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import { acquireRunLock } from "../store/run-lock.js";
import { DEFAULT_CONFIG } from "../store/schema/config.js";
import type { Run } from "../store/schema/run.js";
import type { FlowOutcome, ResumeRunOptions } from "./registry.js";
import { createRunHost, type DriveEnd, type RunHost } from "./run-host.js";
import { getPauseReason } from "./stop-channel.js";

const PLAN_ASK_ID = `ask-${TEAM_RUN_ID}-plan`;

/** A gated team run waiting for its plan's approval, with a task's ask open too. */
async function makeRepo(): Promise<BosunPaths> {
  const paths = createBosunPaths(await makeTestDir());
  const events = makeJournal([
    {
      type: "run.created",
      version: 2,
      flow: "team",
      title: "Add a settings page",
      baseCommit: "b".repeat(40),
      integrationBranch: `bosun/${TEAM_RUN_ID}`,
      options: { ...TEAM_OPTIONS, isPlanGated: true },
    },
    { type: "plan.created", taskIds: ["a", "b"], attempt: 1 },
    { type: "ask.created", askId: PLAN_ASK_ID, question: "approve the plan" },
    { type: "ask.created", askId: "ask-a-1", taskId: "a", question: "Merge a anyway?" },
    { type: "ask.created", askId: "ask-b-1", taskId: "b", question: "Merge b anyway?" },
    { type: "run.completed", status: "needs_human", reason: "asks" },
  ]);
  await writeRunDir(paths, TEAM_RUN_ID, events, makePlan([makePlanTask("a"), makePlanTask("b")]));
  const options = [
    { key: "accept", label: "merge it" },
    { key: "abort", label: "drop it" },
  ];
  for (const [id, extra] of [
    [PLAN_ASK_ID, [{ key: "approve", label: "run the plan" }]],
    ["ask-a-1", options],
    ["ask-b-1", options],
  ] as const)
    await writeAsk(paths, {
      version: 1,
      id,
      runId: TEAM_RUN_ID,
      createdAt: "2026-12-01T09:00:08.000Z",
      question: "?",
      options: [...extra],
      context: "",
    });
  return paths;
}

/**
 * A resume that records its calls and holds each drive until the test lets it go (or the drive
 * is stopped), then ends with the status the test gives: the host's bookkeeping without a flow.
 */
function makeResume(paths: BosunPaths): {
  calls: number;
  /** The pause reason each stopped drive would record. */
  stopReasons: string[];
  resume: (options: ResumeRunOptions) => Promise<FlowOutcome>;
  finish: (status: Run["status"]) => void;
} {
  let finish: (status: Run["status"]) => void = () => undefined;
  const fake = {
    calls: 0,
    stopReasons: [] as string[],
    resume: async (options: ResumeRunOptions): Promise<FlowOutcome> => {
      fake.calls += 1;
      const status = await new Promise<Run["status"] | undefined>((resolve) => {
        finish = resolve;
        options.signal?.addEventListener("abort", () => {
          fake.stopReasons.push(getPauseReason(options.signal));
          resolve(undefined);
        });
      });
      const run = await readRun(paths, options.runId);
      if (run === null) throw new Error("the test's run is missing");
      return { run: { ...run, status: status ?? "paused" }, isPaused: status === undefined };
    },
    finish: (status: Run["status"]) => finish(status),
  };
  return fake;
}

const hosts: RunHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

function makeHost(
  paths: BosunPaths,
  resume: (options: ResumeRunOptions) => Promise<FlowOutcome>,
  ends: DriveEnd[] = [],
): RunHost {
  const host = createRunHost({
    paths,
    getConfig: () => Promise.resolve(DEFAULT_CONFIG),
    onEvent: () => undefined,
    onDriveEnded: (_runId, end) => ends.push(end),
    resume,
  });
  hosts.push(host);
  return host;
}

describe("the run host", () => {
  it("starts one drive for two answers to one run given at once, and keeps tracking it", async () => {
    const paths = await makeRepo();
    const fake = makeResume(paths);
    const host = makeHost(paths, fake.resume);
    const [first, second] = await Promise.all([
      host.answerAndMaybeContinue({ askId: "ask-a-1", answer: "accept", source: "dashboard" }),
      host.answerAndMaybeContinue({ askId: "ask-b-1", answer: "abort", source: "dashboard" }),
    ]);
    expect([first.isContinuing, second.isContinuing].sort()).toEqual([false, true]);
    const waiting = first.isContinuing ? second : first;
    expect(waiting.message).toBe(
      `Recorded; run ${TEAM_RUN_ID} runs in this process and takes the answer.`,
    );
    await waitFor("the drive", () => (fake.calls > 0 ? true : undefined));
    expect(fake.calls).toBe(1);
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(true);
    expect(host.listDrivenRunIds()).toEqual([TEAM_RUN_ID]);
    // A stop reaches the run this process drives, and says which surface asked for it.
    expect(await host.stop(TEAM_RUN_ID, "dashboard")).toBe(true);
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(false);
    expect(fake.stopReasons).toEqual(["stop requested from the dashboard"]);
    expect(fake.calls).toBe(1);
  });

  it("does not start a second drive for an approval and an answer at once", async () => {
    const paths = await makeRepo();
    const fake = makeResume(paths);
    const host = makeHost(paths, fake.resume);
    const [approved, answered] = await Promise.all([
      host.approveAndContinue(TEAM_RUN_ID, "dashboard"),
      host.answerAndMaybeContinue({ askId: "ask-a-1", answer: "accept", source: "dashboard" }),
    ]);
    expect(approved).toEqual({ runId: TEAM_RUN_ID, isContinuing: true });
    expect(answered.isContinuing).toBe(false);
    expect((await readAsk(paths, PLAN_ASK_ID)).answer).toMatchObject({
      answer: "approve",
      source: "dashboard",
    });
    await waitFor("the drive", () => (fake.calls > 0 ? true : undefined));
    expect(fake.calls).toBe(1);
    // A second approval while it runs is refused, and starts nothing.
    await expect(host.approveAndContinue(TEAM_RUN_ID, "dashboard")).rejects.toThrow(
      new StateError(
        `Run ${TEAM_RUN_ID} is already being driven (by this process); stop it first.`,
      ),
    );
    expect(fake.calls).toBe(1);
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(true);
  });

  it("drives again when an answer came in while the run was driven and it stopped for a human anyway", async () => {
    const paths = await makeRepo();
    const fake = makeResume(paths);
    const ends: DriveEnd[] = [];
    const host = makeHost(paths, fake.resume, ends);
    await host.answerAndMaybeContinue({ askId: "ask-a-1", answer: "accept", source: "monitor" });
    await waitFor("the drive", () => (fake.calls === 1 ? true : undefined));
    await host.answerAndMaybeContinue({ askId: "ask-b-1", answer: "accept", source: "monitor" });
    fake.finish("needs_human");
    await waitFor("the second drive", () => (fake.calls === 2 ? true : undefined));
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(true);
    expect(ends).toEqual([]);
    fake.finish("succeeded");
    await waitFor("the end", () => (ends.length > 0 ? true : undefined));
    expect(ends).toMatchObject([{ type: "stopped", outcome: { run: { status: "succeeded" } } }]);
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(false);
    expect(fake.calls).toBe(2);
  });

  it("only records an answer for a run another process holds, saying how it continues", async () => {
    const paths = await makeRepo();
    const fake = makeResume(paths);
    const host = makeHost(paths, fake.resume);
    const lock = await acquireRunLock(paths.lockFile(TEAM_RUN_ID), "the run");
    try {
      const outcome = await host.answerAndMaybeContinue({
        askId: "ask-a-1",
        answer: "accept",
        source: "monitor",
      });
      expect(outcome).toMatchObject({ runId: TEAM_RUN_ID, isContinuing: false });
      expect(outcome.message).toBe(
        `Recorded. Run ${TEAM_RUN_ID} is driven by process ${process.pid}: it takes the answer when it reaches it, or else the run's next resume does (bosun run --resume ${TEAM_RUN_ID}).`,
      );
      await expect(host.approveAndContinue(TEAM_RUN_ID, "dashboard")).rejects.toThrow(
        `Run ${TEAM_RUN_ID} is already being driven (by process ${process.pid}); stop it first.`,
      );
      // The refused approval wrote nothing.
      expect((await readAsk(paths, PLAN_ASK_ID)).answer).toBeNull();
    } finally {
      await lock.release();
    }
    expect(host.isDrivenHere(TEAM_RUN_ID)).toBe(false);
    expect(fake.calls).toBe(0);
  });

  it("pauses its runs on close and afterwards only records answers", async () => {
    const paths = await makeRepo();
    const fake = makeResume(paths);
    const ends: DriveEnd[] = [];
    const host = makeHost(paths, fake.resume, ends);
    expect(await host.stop(TEAM_RUN_ID)).toBe(false);
    await host.answerAndMaybeContinue({ askId: "ask-a-1", answer: "accept", source: "monitor" });
    await waitFor("the drive", () => (fake.calls === 1 ? true : undefined));
    await host.close();
    expect(ends).toMatchObject([{ type: "stopped", outcome: { isPaused: true } }]);
    expect(host.listDrivenRunIds()).toEqual([]);
    const later = await host.answerAndMaybeContinue({
      askId: "ask-b-1",
      answer: "accept",
      source: "monitor",
    });
    expect(later).toMatchObject({
      isContinuing: false,
      message: `Recorded. Continue run ${TEAM_RUN_ID} with: bosun run --resume ${TEAM_RUN_ID}`,
    });
    expect(fake.calls).toBe(1);
  });
});
