import { describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../errors.js";
import { createRunIndex, indexRunEvent } from "../../store/run-index.js";
import type { RunEvent, RunEventInput } from "../../store/schema/events.js";
import { createJournalLineSchema } from "../../store/schema/migrate.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { RoundScope } from "../flow-context.js";
import {
  TeamBudgetExhaustedError,
  createBudgetStopRecorder,
  createTeamBudget,
  getBudgetStopProblem,
  type BudgetStop,
} from "./team-budget.js";

const OPTIONS: TeamOptions = {
  planner: "offline",
  worker: "offline",
  critic: "offline",
  maxParallel: 3,
  maxRepairs: 2,
  verify: "",
  timeoutSec: 0,
  stallTimeoutSec: 300,
  budgetUsd: 1,
  isPlanGated: false,
};

const RESUME = { runId: "r1", command: "bosun run --resume r1" };

/** A harness whose CLI cannot cap its spend (Codex, the offline agent). */
const UNCAPPED = { name: "offline", isCapped: false };
/** A harness whose CLI caps its spend (Claude Code's --max-budget-usd). */
const CAPPED = { name: "claude", isCapped: true };

/** Numbers inputs into journal events. */
function makeJournal(...inputs: RunEventInput[]): RunEvent[] {
  return inputs.map((input, index) => ({ ...input, seq: index + 1, ts: "2026-12-01T00:00:00Z" }));
}

/** A dispatch of `taskId`'s worker that started (reserving `reservedUsd` when given) and cost `costUsd`. */
function makeDispatch(taskId: string, costUsd: number, reservedUsd?: number): RunEventInput[] {
  const scope = { taskId, round: 1, seat: "worker", harness: "offline", attempt: 1 } as const;
  return [
    { type: "dispatch.started", ...scope, ...(reservedUsd === undefined ? {} : { reservedUsd }) },
    {
      type: "dispatch.completed",
      ...scope,
      exitCode: 0,
      costUsd,
      isCostEstimated: false,
      tokens: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
      durationMs: 1,
      spawns: 1,
    },
  ];
}

function makeScope(taskId: string): RoundScope {
  return {
    taskId,
    round: 2,
    cwd: "/w",
    harnesses: {},
    maxRounds: 3,
    timeoutSec: 0,
    resumeCommand: "",
  };
}

function makeStop(extra: Partial<BudgetStop> = {}): BudgetStop {
  return {
    type: "budget.exhausted",
    scope: "run",
    limitUsd: 1,
    spentUsd: 0.8,
    seq: 9,
    ts: "2026-12-01T00:00:00Z",
    ...extra,
  };
}

describe("createBudgetStopRecorder", () => {
  it("journals one budget.exhausted when parallel tasks are refused at once", async () => {
    const state = createRunIndex();
    const recorded: RunEvent[] = [];
    const ctx = {
      state,
      // Like RunStore.append: the event reaches the index only after an await (the sync).
      async record(input: RunEventInput): Promise<RunEvent> {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const event = { ...input, seq: recorded.length + 1, ts: "t" };
        indexRunEvent(state, event);
        recorded.push(event);
        return event;
      },
    };
    const recordStop = createBudgetStopRecorder(ctx, OPTIONS);
    const refusal = (spentUsd: number): TeamBudgetExhaustedError =>
      new TeamBudgetExhaustedError("over", "run", { limitUsd: 1, spentUsd });
    let isStopKnownToAll = true;
    await Promise.all(
      ["a", "b", "c"].map(async (taskId, index) => {
        await recordStop(taskId, refusal(0.8 + index / 100));
        // Each caller goes on only once the stop is in the index, where the scheduler looks.
        if (state.budgetExhausted === undefined) isStopKnownToAll = false;
      }),
    );
    expect(recorded).toMatchObject([
      { type: "budget.exhausted", scope: "run", limitUsd: 1, spentUsd: 0.8 },
    ]);
    expect(isStopKnownToAll).toBe(true);
    // Later refusals of the same stop record nothing either.
    await recordStop("d", refusal(0.9));
    expect(recorded).toHaveLength(1);
  });

  it("records a task cap's stop with the task, and nothing when the index already has a stop", async () => {
    const state = createRunIndex();
    const recorded: RunEventInput[] = [];
    const ctx = {
      state,
      record(input: RunEventInput): Promise<RunEvent> {
        recorded.push(input);
        return Promise.resolve({ ...input, seq: 1, ts: "t" });
      },
    };
    await createBudgetStopRecorder(ctx, { ...OPTIONS, taskBudgetUsd: 0.5 })(
      "a",
      new BudgetExhaustedError("over", "task"),
    );
    expect(recorded).toEqual([
      { type: "budget.exhausted", scope: "task", taskId: "a", limitUsd: 0.5, spentUsd: 0 },
    ]);
    indexRunEvent(state, makeStop());
    await createBudgetStopRecorder(ctx, OPTIONS)("b", new BudgetExhaustedError("over", "run"));
    expect(recorded).toHaveLength(1);
  });
});

describe("getBudgetStopProblem: does a resume's cap lift the stop", () => {
  // $0.80 spent (two dispatches under the cap); a third was refused against $1.00.
  const events = makeJournal(...makeDispatch("plan", 0.3, 0.25), ...makeDispatch("a", 0.5, 0.25));

  it("refuses the cap that stopped the run, and one not above it, saying what to pass", () => {
    expect(getBudgetStopProblem(events, makeStop(), OPTIONS, RESUME)).toBe(
      "Run r1 stopped on its budget: the run's cap of $1.00 refused a dispatch with $0.80 spent or reserved. To continue it, raise the run's cap above $1.00: bosun run --resume r1 --budget-usd AMOUNT",
    );
    expect(
      getBudgetStopProblem(events, makeStop(), { ...OPTIONS, budgetUsd: 0.9 }, RESUME),
    ).toContain("raise the run's cap above $1.00 (it is $0.90 now)");
    // More for each task does not lift a stop of the run's cap.
    expect(
      getBudgetStopProblem(events, makeStop(), { ...OPTIONS, taskBudgetUsd: 5 }, RESUME),
    ).toContain("--budget-usd AMOUNT");
  });

  it("lifts the stop with a cap above the stop and above what is spent", () => {
    expect(
      getBudgetStopProblem(events, makeStop(), { ...OPTIONS, budgetUsd: 1.2 }, RESUME),
    ).toBeUndefined();
    // A reservation a crash left open counts as spent: $0.80 + $0.25 = $1.05.
    const crashed = makeJournal(
      ...makeDispatch("plan", 0.3, 0.25),
      ...makeDispatch("a", 0.5, 0.25),
      {
        type: "dispatch.started",
        taskId: "b",
        round: 1,
        seat: "worker",
        harness: "offline",
        attempt: 1,
        reservedUsd: 0.25,
      },
    );
    expect(
      getBudgetStopProblem(crashed, makeStop(), { ...OPTIONS, budgetUsd: 1.05 }, RESUME),
    ).toContain("raise the run's cap above $1.05");
    expect(
      getBudgetStopProblem(crashed, makeStop(), { ...OPTIONS, budgetUsd: 1.06 }, RESUME),
    ).toBeUndefined();
  });

  it("asks for a higher task cap when a task's cap stopped the run", () => {
    const stop = makeStop({ scope: "task", taskId: "a", limitUsd: 0.6, spentUsd: 0.5 });
    const options = { ...OPTIONS, budgetUsd: 10, taskBudgetUsd: 0.6 };
    expect(getBudgetStopProblem(events, stop, options, RESUME)).toBe(
      "Run r1 stopped on its budget: task a's cap of $0.60 refused a dispatch with $0.50 spent or reserved. To continue it, raise each task's cap above $0.60: bosun run --resume r1 --task-budget-usd AMOUNT",
    );
    expect(
      getBudgetStopProblem(events, stop, { ...options, taskBudgetUsd: 2 }, RESUME),
    ).toBeUndefined();
    // The run's cap must leave room too, or the first dispatch would stop the run again.
    expect(
      getBudgetStopProblem(events, stop, { ...options, taskBudgetUsd: 2, budgetUsd: 0.8 }, RESUME),
    ).toContain("raise the run's cap above $0.80: bosun run --resume r1 --budget-usd AMOUNT");
  });
});

describe("createTeamBudget", () => {
  it("holds a cap given on resume against what the run spent before it had one", () => {
    // Started without a cap: nothing was reserved, $0.80 was spent.
    const events = makeJournal(...makeDispatch("plan", 0.3), ...makeDispatch("a", 0.5));
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 1 });
    // The worker's estimate is its last real cost, $0.50: $0.80 + $0.50 passes $1.00.
    expect(() => budget?.reserve(makeScope("b"), "worker", UNCAPPED)).toThrow(
      TeamBudgetExhaustedError,
    );
    const roomy = createTeamBudget(events, { ...OPTIONS, budgetUsd: 1.3 });
    const reservation = roomy?.reserve(makeScope("b"), "worker", UNCAPPED);
    expect(reservation).toMatchObject({ estimateUsd: 0.5 });
    expect(reservation?.capUsd).toBeUndefined();
  });

  it("is absent without a cap", () => {
    const { budgetUsd: _none, ...uncapped } = OPTIONS;
    expect(createTeamBudget([], uncapped)).toBeUndefined();
  });
});

describe("createTeamBudget for calls whose CLI caps its spend", () => {
  it("hands parallel calls caps that together stay within the run's room: $10 cap, $2 spent, 8 calls", () => {
    const events = makeJournal(...makeDispatch("plan", 2, 0.25));
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 10, maxParallel: 8 });
    const reservations = ["a", "b", "c", "d", "e", "f", "g", "h"].map((taskId) =>
      budget?.reserve(makeScope(taskId), "worker", CAPPED),
    );
    const caps = reservations.map((reservation) => reservation?.capUsd ?? Number.NaN);
    expect(caps.reduce((sum, cap) => sum + cap, 0)).toBeLessThanOrEqual(8);
    expect(caps).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // What is left after them is nothing: the next call is refused, capped or not.
    expect(() => budget?.reserve(makeScope("i"), "worker", UNCAPPED)).toThrow(
      TeamBudgetExhaustedError,
    );
  });

  it("holds a call to its task's cap", () => {
    const events = makeJournal(...makeDispatch("a", 0.7, 0.25));
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 10, taskBudgetUsd: 1 });
    expect(budget?.reserve(makeScope("a"), "critic", CAPPED).capUsd).toBe(0.3);
    expect(budget?.reserve(makeScope("b"), "worker", CAPPED).capUsd).toBe(1);
  });

  it("counts a capped call that failed unknown at its cap, and an uncapped one at its estimate", () => {
    const budget = createTeamBudget([], { ...OPTIONS, budgetUsd: 1, maxParallel: 2 });
    const uncapped = budget?.reserve(makeScope("a"), "worker", UNCAPPED);
    const capped = budget?.reserve(makeScope("b"), "worker", CAPPED);
    expect([uncapped?.estimateUsd, capped?.capUsd]).toEqual([0.25, 0.75]);
    uncapped?.settle(null);
    capped?.settle(null);
    // $0.25 + $0.75 spent: not even a zero-cost capped call fits.
    expect(() => budget?.reserve(makeScope("c"), "worker", CAPPED)).toThrow(
      TeamBudgetExhaustedError,
    );
  });

  it("turns a capped call that spent its cap into a stop of the run's budget, settled at its real cost", () => {
    const budget = createTeamBudget([], { ...OPTIONS, budgetUsd: 4, maxParallel: 2 });
    const other = budget?.reserve(makeScope("a"), "worker", UNCAPPED);
    const capped = budget?.reserve(makeScope("b"), "worker", CAPPED);
    expect(capped?.capUsd).toBe(3.75);
    const stop = capped?.settleCapSpent(3.8);
    expect(stop).toBeInstanceOf(TeamBudgetExhaustedError);
    expect(stop).toMatchObject({ scope: "run", limitUsd: 4, spentUsd: 4.05 });
    expect(stop?.message).toBe(
      'the worker of task "b" spent $3.80, all of the $3.75 cap it was given (its share of what the run\'s budget of $4.00 had left unreserved), and its CLI stopped it; $3.80 spent + $0.25 reserved for work in flight; raise the cap to go on',
    );
    // Settled at what it cost: with the other call's reservation released, that is all there is.
    other?.settle(0);
    expect(() => budget?.reserve(makeScope("c"), "critic", UNCAPPED)).toThrow(
      "$3.80 spent + $0.00 reserved for work in flight",
    );
  });

  it("turns a capped call that spent its task's room into a stop of that task's budget", () => {
    const budget = createTeamBudget([], { ...OPTIONS, budgetUsd: 10, taskBudgetUsd: 1 });
    const capped = budget?.reserve(makeScope("a"), "worker", CAPPED);
    expect(capped?.capUsd).toBe(1);
    const stop = capped?.settleCapSpent(1.02);
    expect(stop).toMatchObject({ scope: "task", limitUsd: 1, spentUsd: 1.02 });
    expect(stop?.message).toBe(
      'the worker of task "a" spent $1.02, all of the $1.00 cap it was given (what task "a"\'s budget of $1.00 had left), and its CLI stopped it; $1.02 spent by the task; raise the cap to go on',
    );
  });
});

describe("restoring a team budget from the journal", () => {
  const started = {
    type: "dispatch.started",
    taskId: "a",
    round: 1,
    seat: "worker",
    harness: "claude",
    attempt: 1,
  } as const;

  it("counts a capped call a crash left open at its cap, which its CLI could have spent", () => {
    const events = makeJournal({ ...started, reservedUsd: 0.25, capUsd: 0.6 });
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 1, maxParallel: 1 });
    expect(budget?.reserve(makeScope("b"), "worker", CAPPED).capUsd).toBe(0.4);
    expect(
      getBudgetStopProblem(events, makeStop(), { ...OPTIONS, budgetUsd: 0.6 }, RESUME),
    ).toContain("raise the run's cap above $1.00");
  });

  it("counts a capped call that spent its cap at the cost its dispatch.failed recorded", () => {
    const events = makeJournal(
      { ...started, reservedUsd: 0.25, capUsd: 0.6 },
      {
        type: "dispatch.failed",
        taskId: "a",
        round: 1,
        seat: "worker",
        harness: "claude",
        attempt: 1,
        message: "claude exited with code 1: Claude Code run ended with error_max_budget_usd",
        isPermanent: true,
        costUsd: 0.62,
      },
    );
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 2, maxParallel: 1 });
    expect(budget?.reserve(makeScope("b"), "worker", CAPPED)).toMatchObject({
      // The seat's last real cost is its estimate now.
      estimateUsd: 0.62,
      capUsd: 1.38,
    });
  });

  it("restores journal lines written before capUsd, at the estimate they reserved", () => {
    // dispatch.started as bosun wrote it before capped calls reserved their caps, read the way
    // a resume reads events.jsonl.
    const schema = createJournalLineSchema();
    const lines = [
      '{"seq":1,"ts":"2026-12-01T00:00:00Z","type":"dispatch.started","taskId":"a","round":1,"seat":"worker","harness":"claude","attempt":1,"reservedUsd":0.25}',
      '{"seq":2,"ts":"2026-12-01T00:00:01Z","type":"dispatch.failed","taskId":"a","round":1,"seat":"worker","harness":"claude","attempt":1,"message":"boom","isPermanent":false}',
      '{"seq":3,"ts":"2026-12-01T00:00:02Z","type":"dispatch.started","taskId":"b","round":1,"seat":"worker","harness":"claude","attempt":1,"reservedUsd":0.5}',
    ];
    const events = lines.map((line) => schema.parse(JSON.parse(line)));
    // Both left open (one failed, one in flight at a crash): $0.75 spent.
    const budget = createTeamBudget(events, { ...OPTIONS, budgetUsd: 1, maxParallel: 1 });
    expect(budget?.reserve(makeScope("c"), "worker", CAPPED).capUsd).toBe(0.25);
  });
});
