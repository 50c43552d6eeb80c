/**
 * Journal events for the terminal views' tests, built with their required fields filled in.
 * (The model, app and client tests share them.)
 */
import type { RunEvent, RunEventInput } from "../../src/store/schema/events.js";

/** The run the tests watch. */
export const TEST_RUN_ID = "20261122-120000-abcd";

/** Numbers events 1, 2, 3… with a timestamp `atMs` (default: now). */
export function makeEvents(inputs: readonly RunEventInput[], atMs = Date.now()): RunEvent[] {
  return inputs.map((input, index) => ({
    ...input,
    seq: index + 1,
    ts: new Date(atMs).toISOString(),
  }));
}

/** A review run's start. */
export const REVIEW_CREATED: RunEventInput = {
  type: "run.created",
  version: 2,
  flow: "review",
  taskId: "T-001",
  title: "Add a greeting",
  baseCommit: "a".repeat(40),
  options: { worker: "offline", reviewer: "offline", maxRounds: 1, verify: "", timeoutSec: 60 },
};

/** A team run's start, with a $10 cap. */
export const TEAM_CREATED: RunEventInput = {
  type: "run.created",
  version: 2,
  flow: "team",
  title: "Build the thing",
  baseCommit: "a".repeat(40),
  integrationBranch: `bosun/${TEST_RUN_ID}/integration`,
  options: {
    planner: "offline",
    worker: "offline",
    critic: "offline",
    maxParallel: 2,
    maxRepairs: 2,
    verify: "",
    timeoutSec: 60,
    stallTimeoutSec: 600,
    budgetUsd: 10,
    isPlanGated: true,
  },
};

/** A worker dispatch of `taskId` starting in round 1. */
export function makeWorkerStarted(taskId: string): RunEventInput {
  return {
    type: "dispatch.started",
    taskId,
    round: 1,
    seat: "worker",
    harness: "offline",
    attempt: 1,
  };
}
