import { describe, expect, it } from "vitest";
import { buildRunIndex } from "../../store/run-index.js";
import type { RunEvent, RunEventInput } from "../../store/schema/events.js";
import type { PipelineOptions, PipelinePair } from "../../store/schema/pipeline.js";
import {
  WHOLE_PLAN_PHASE,
  getAskId,
  getNextPipelineStep,
  getStagePhase,
  listStages,
  type PipelineStage,
  type PipelineStep,
} from "./pipeline-next.js";

const RUN_ID = "20261122-120000-abcd";
const TASK_ID = "greet";

function makeOptions(overrides: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    pairs: ["plan", "implement", "test", "audit"],
    maxIterations: 3,
    phaseMode: "multi",
    producer: "offline",
    verifier: "offline",
    verify: "",
    isFullAutoAnswers: false,
    isGitDisabled: false,
    isFollowupEnabled: true,
    followupDepth: 3,
    timeoutSec: 0,
    ...overrides,
  };
}

/** Builds a journal: numbers the inputs and gives them a fixed clock. */
function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({
    ...input,
    seq: index + 1,
    ts: "2026-11-22T12:00:00.000Z",
  }));
}

function makeCreated(options: PipelineOptions): RunEventInput {
  return {
    type: "run.created",
    version: 2,
    flow: "pipeline",
    taskId: TASK_ID,
    title: "t",
    baseCommit: "c0",
    depth: 0,
    options,
  };
}

function makeStarted(phase: string, round: number): RunEventInput {
  return { type: "round.started", taskId: TASK_ID, phase, round, head: `c${round - 1}` };
}

/** The round verdict each verifier verdict ends its iteration with (pipeline-iteration.ts). */
const ROUND_VERDICT = {
  complete: "accept",
  continue: "fix",
  question: "fix",
  blocked: "escalate",
} as const;

/**
 * A whole iteration: started, the verifier's verdict, the round's end. `invalid` is an iteration
 * whose verifier gave no valid verdict: it escalates with no verdict recorded.
 */
function makeIteration(
  phase: string,
  round: number,
  verdict: keyof typeof ROUND_VERDICT | "invalid",
): RunEventInput[] {
  const scope = { taskId: TASK_ID, phase, round };
  if (verdict === "invalid")
    return [
      makeStarted(phase, round),
      {
        type: "round.completed",
        ...scope,
        verdict: "escalate",
        fixItems: 0,
        reason: "the verifier gave no valid verdict after a re-prompt: bad",
      },
    ];
  return [
    makeStarted(phase, round),
    {
      type: "verdict.recorded",
      ...scope,
      verdict,
      missing: verdict === "continue" ? 1 : 0,
      detail: "d",
    },
    {
      type: "round.completed",
      ...scope,
      verdict: ROUND_VERDICT[verdict],
      fixItems: verdict === "complete" ? 0 : 1,
      ...(verdict === "blocked" ? { reason: "blocked: no access" } : {}),
    },
  ];
}

function makeStage(pair: PipelinePair, phaseId?: string): PipelineStage {
  return {
    pair,
    ...(phaseId === undefined ? {} : { phaseId }),
    phase: getStagePhase(pair, phaseId),
  };
}

function makeAsked(phase: string, round: number): RunEventInput {
  const askId = getAskId(RUN_ID, makeStageOf(phase), round);
  return { type: "ask.created", askId, taskId: TASK_ID, phase, question: "q" };
}

function makeAnswered(
  phase: string,
  round: number,
  answer: string,
  extraRounds?: number,
): RunEventInput {
  const askId = getAskId(RUN_ID, makeStageOf(phase), round);
  return {
    type: "ask.answered",
    askId,
    taskId: TASK_ID,
    phase,
    answer,
    ...(extraRounds === undefined ? {} : { extraRounds }),
  };
}

function makeStageOf(phase: string): PipelineStage {
  const [pair = "", phaseId] = phase.split("/", 2);
  if (pair !== "plan" && pair !== "implement" && pair !== "test" && pair !== "audit")
    throw new Error(`not a pair: ${pair}`);
  return makeStage(pair, phaseId);
}

function makePlanned(...phaseIds: string[]): RunEventInput {
  return { type: "phases.planned", phaseIds };
}

/** The next step of a journal that starts with run.created of `options`. */
function nextStepOf(options: PipelineOptions, ...inputs: RunEventInput[]): PipelineStep {
  const index = buildRunIndex(makeJournal(makeCreated(options), ...inputs));
  return getNextPipelineStep(index, RUN_ID, TASK_ID, options);
}

/** Every stage of a two-phase plan, each completed in one iteration. */
const ALL_DONE = [
  ...makeIteration("plan", 1, "complete"),
  makePlanned("p1", "p2"),
  ...makeIteration("implement/p1", 1, "complete"),
  ...makeIteration("test/p1", 1, "complete"),
  ...makeIteration("implement/p2", 1, "complete"),
  ...makeIteration("test/p2", 1, "complete"),
];

describe("listStages", () => {
  it("walks plan, then implement and test per phase in the given order, then audit", () => {
    expect(listStages(makeOptions(), ["p1", "p2"])).toEqual([
      makeStage("plan"),
      makeStage("implement", "p1"),
      makeStage("test", "p1"),
      makeStage("implement", "p2"),
      makeStage("test", "p2"),
      makeStage("audit"),
    ]);
  });

  it("needs the phases before implement or test can be listed, but not for plan or audit alone", () => {
    expect(listStages(makeOptions(), undefined)).toBe("needs-phases");
    expect(listStages(makeOptions({ pairs: ["test"] }), undefined)).toBe("needs-phases");
    expect(listStages(makeOptions({ pairs: ["plan", "audit"] }), undefined)).toEqual([
      makeStage("plan"),
      makeStage("audit"),
    ]);
  });

  it("leaves out the pairs not selected", () => {
    expect(listStages(makeOptions({ pairs: ["test"] }), [WHOLE_PLAN_PHASE])).toEqual([
      { pair: "test", phaseId: "all", phase: "test/all" },
    ]);
  });
});

describe("getNextPipelineStep", () => {
  it("starts with the plan's first iteration, and resumes an iteration that started but did not end", () => {
    expect(nextStepOf(makeOptions())).toEqual({
      type: "iteration",
      stage: makeStage("plan"),
      iteration: 1,
    });
    expect(
      nextStepOf(makeOptions(), ...makeIteration("plan", 1, "continue"), makeStarted("plan", 2)),
    ).toEqual({ type: "iteration", stage: makeStage("plan"), iteration: 2 });
  });

  it("asks for the phases once the plan is complete, and before anything without a plan pair", () => {
    expect(nextStepOf(makeOptions(), ...makeIteration("plan", 1, "complete"))).toEqual({
      type: "plan-phases",
    });
    expect(nextStepOf(makeOptions({ pairs: ["implement", "test"] }))).toEqual({
      type: "plan-phases",
    });
  });

  it("takes the planned phases in their recorded order, implement before test", () => {
    const planned = [...makeIteration("plan", 1, "complete"), makePlanned("p2", "p1")];
    expect(nextStepOf(makeOptions(), ...planned)).toEqual({
      type: "iteration",
      stage: makeStage("implement", "p2"),
      iteration: 1,
    });
    expect(
      nextStepOf(makeOptions(), ...planned, ...makeIteration("implement/p2", 1, "complete")),
    ).toEqual({ type: "iteration", stage: makeStage("test", "p2"), iteration: 1 });
  });

  it("runs the next iteration after continue, and fails the run at --max-iterations", () => {
    const options = makeOptions({ pairs: ["implement"], maxIterations: 2 });
    const planned = makePlanned(WHOLE_PLAN_PHASE);
    expect(nextStepOf(options, planned, ...makeIteration("implement/all", 1, "continue"))).toEqual({
      type: "iteration",
      stage: makeStage("implement", "all"),
      iteration: 2,
    });
    expect(
      nextStepOf(
        options,
        planned,
        ...makeIteration("implement/all", 1, "continue"),
        ...makeIteration("implement/all", 2, "continue"),
      ),
    ).toEqual({
      type: "complete",
      status: "failed",
      reason:
        "implement/all did not complete in 2 iteration(s) (--max-iterations): its verifier still finds work missing; see its last verdict.json",
    });
  });

  it("says a gate, not the verifier, stopped a pair whose last iteration failed a gate", () => {
    const options = makeOptions({ pairs: ["plan"], maxIterations: 1 });
    const scope = { taskId: TASK_ID, phase: "plan", round: 1 };
    expect(
      nextStepOf(
        options,
        makeStarted("plan", 1),
        { type: "gate.completed", ...scope, name: "report", passed: true, detail: "ok" },
        { type: "gate.completed", ...scope, name: "plan", passed: false, detail: "cycle" },
        { type: "round.completed", ...scope, verdict: "fix", fixItems: 1 },
      ),
    ).toEqual({
      type: "complete",
      status: "failed",
      reason:
        "plan did not complete in 1 iteration(s) (--max-iterations): its last iteration failed its plan gate, so no verifier judged it; see its last gates.json",
    });
  });

  it("fails the run with the round's reason when a verifier gave no valid verdict", () => {
    expect(nextStepOf(makeOptions(), ...makeIteration("plan", 1, "invalid"))).toEqual({
      type: "complete",
      status: "failed",
      reason: "plan, iteration 1: the verifier gave no valid verdict after a re-prompt: bad",
    });
  });

  it("asks a question once, waits while it is open, and goes on to the next iteration once answered", () => {
    const asked = makeIteration("plan", 1, "question");
    expect(nextStepOf(makeOptions(), ...asked)).toEqual({
      type: "ask",
      stage: makeStage("plan"),
      iteration: 1,
      kind: "question",
    });
    expect(nextStepOf(makeOptions(), ...asked, makeAsked("plan", 1))).toEqual({
      type: "wait",
      askId: getAskId(RUN_ID, makeStage("plan"), 1),
    });
    expect(
      nextStepOf(makeOptions(), ...asked, makeAsked("plan", 1), makeAnswered("plan", 1, "hello")),
    ).toEqual({ type: "iteration", stage: makeStage("plan"), iteration: 2 });
  });

  it("cancels a blocked pair a human aborted, and runs it again on retry", () => {
    const blocked = [...makeIteration("plan", 1, "blocked"), makeAsked("plan", 1)];
    expect(nextStepOf(makeOptions(), ...makeIteration("plan", 1, "blocked"))).toEqual({
      type: "ask",
      stage: makeStage("plan"),
      iteration: 1,
      kind: "blocked",
    });
    expect(nextStepOf(makeOptions(), ...blocked, makeAnswered("plan", 1, "abort"))).toEqual({
      type: "complete",
      status: "cancelled",
      reason: "stopped by a human at plan",
    });
    expect(nextStepOf(makeOptions(), ...blocked, makeAnswered("plan", 1, "retry"))).toEqual({
      type: "iteration",
      stage: makeStage("plan"),
      iteration: 2,
    });
  });

  it("a retry grants one iteration: a pair blocked in its last iteration runs again, and fails at the raised limit", () => {
    const options = makeOptions({ maxIterations: 1 });
    const retried: RunEventInput[] = [
      ...makeIteration("plan", 1, "blocked"),
      makeAsked("plan", 1),
      makeAnswered("plan", 1, "retry", 1),
    ];
    expect(nextStepOf(options, ...retried)).toEqual({
      type: "iteration",
      stage: makeStage("plan"),
      iteration: 2,
    });
    expect(nextStepOf(options, ...retried, ...makeIteration("plan", 2, "continue"))).toMatchObject({
      type: "complete",
      status: "failed",
      reason: expect.stringContaining("plan did not complete in 2 iteration(s)") as unknown,
    });
  });

  it("asks again when the retried iteration is blocked again: the earlier answer does not count for it", () => {
    expect(
      nextStepOf(
        makeOptions(),
        ...makeIteration("plan", 1, "blocked"),
        makeAsked("plan", 1),
        makeAnswered("plan", 1, "retry"),
        ...makeIteration("plan", 2, "blocked"),
      ),
    ).toEqual({ type: "ask", stage: makeStage("plan"), iteration: 2, kind: "blocked" });
  });

  it("hands a completed audit over as audited, with its last iteration", () => {
    expect(
      nextStepOf(
        makeOptions(),
        ...ALL_DONE,
        ...makeIteration("audit", 1, "continue"),
        ...makeIteration("audit", 2, "complete"),
      ),
    ).toEqual({ type: "audited", iteration: 2 });
  });

  it("succeeds once every selected pair is complete when there is no audit", () => {
    expect(nextStepOf(makeOptions({ pairs: ["plan", "implement", "test"] }), ...ALL_DONE)).toEqual({
      type: "complete",
      status: "succeeded",
      reason: "every pair's verifier said complete (plan → implement → test)",
    });
  });

  it("keeps the phases of one pair apart: an iteration of test/p1 says nothing of test/p2", () => {
    expect(
      nextStepOf(
        makeOptions({ pairs: ["test"] }),
        makePlanned("p1", "p2"),
        ...makeIteration("test/p1", 1, "continue"),
        ...makeIteration("test/p1", 2, "complete"),
      ),
    ).toEqual({ type: "iteration", stage: makeStage("test", "p2"), iteration: 1 });
  });
});

describe("getAskId", () => {
  it("names the run, the stage and the iteration, as one safe id", () => {
    expect(getAskId(RUN_ID, makeStage("implement", "p1"), 3)).toBe(`ask-${RUN_ID}-implement-p1-i3`);
    expect(getAskId(RUN_ID, makeStage("audit"), 1)).toBe(`ask-${RUN_ID}-audit-i1`);
  });
});
