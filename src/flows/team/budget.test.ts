import { describe, expect, it } from "vitest";
import {
  type BudgetFact,
  type Reservation,
  BudgetLedger,
  CostEstimator,
  formatUsd,
  getSeatKey,
  microsToUsd,
  usdToMicros,
} from "./budget.js";

/** Reserves or fails the test. */
function mustReserve(
  ledger: BudgetLedger,
  taskId: string,
  estimateUsd: number,
  options: { isCapped?: boolean } = {},
): Reservation {
  const result = ledger.reserve(taskId, estimateUsd, options);
  if (!result.ok) throw new Error(result.reason);
  return result.reservation;
}

/** Reserves a capped call or fails the test; returns its cap in USD and what bounded it. */
function mustReserveCapped(
  ledger: BudgetLedger,
  taskId: string,
  estimateUsd: number,
): { reservation: Reservation; capUsd: number; limitedBy: "run" | "task" | undefined } {
  const result = ledger.reserve(taskId, estimateUsd, { isCapped: true });
  if (!result.ok) throw new Error(result.reason);
  const { capMicros } = result.reservation;
  if (capMicros === undefined) throw new Error("a capped call was given no cap");
  return {
    reservation: result.reservation,
    capUsd: microsToUsd(capMicros),
    limitedBy: result.capLimitedBy,
  };
}

describe("money in micro-dollars", () => {
  it("converts exactly at six places, and refuses what is not an amount", () => {
    expect(usdToMicros(0.1)).toBe(100_000);
    expect(usdToMicros(1.234567)).toBe(1_234_567);
    expect(usdToMicros(0.1 + 0.2)).toBe(300_000);
    expect(microsToUsd(1_234_567)).toBe(1.234567);
    for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => usdToMicros(bad)).toThrow(RangeError);
    }
  });

  it("formats with cents, and more places only when they matter", () => {
    expect(formatUsd(5_000_000)).toBe("$5.00");
    expect(formatUsd(4_200_000)).toBe("$4.20");
    expect(formatUsd(123_456)).toBe("$0.123456");
    expect(formatUsd(100)).toBe("$0.0001");
    expect(formatUsd(0)).toBe("$0.00");
  });
});

describe("BudgetLedger.reserve", () => {
  it("lets 8 parallel reservations fill a run cap exactly, and refuses the 9th", () => {
    const ledger = new BudgetLedger({ runCapUsd: 0.8 });
    const held = Array.from({ length: 8 }, (_, i) => mustReserve(ledger, `t${i}`, 0.1));
    expect(held.map((r) => r.id)).toEqual([
      "res-1",
      "res-2",
      "res-3",
      "res-4",
      "res-5",
      "res-6",
      "res-7",
      "res-8",
    ]);
    expect(ledger.reserved).toBe(0.8);
    expect(ledger.reserve("t8", 0.1)).toEqual({
      ok: false,
      which: "run",
      reason:
        'the run\'s budget of $0.80 would be passed: $0.00 spent + $0.80 reserved for work in flight + $0.10 estimated for a dispatch of task "t8" = $0.90; work in flight may cost less than reserved: wait for it, or raise the cap',
    });
    // Nothing was set aside for the refused one.
    expect(ledger.reserved).toBe(0.8);
  });

  it("adds without float drift: 0.1 + 0.2 fits a 0.3 cap", () => {
    // In float dollars 0.1 + 0.2 = 0.30000000000000004 > 0.3, and the second would be refused.
    const ledger = new BudgetLedger({ runCapUsd: 0.3 });
    mustReserve(ledger, "a", 0.1);
    expect(ledger.reserve("b", 0.2).ok).toBe(true);
    expect(ledger.reserve("c", 0.000001).ok).toBe(false);
  });

  it("counts what was spent as well as what is in flight", () => {
    const ledger = new BudgetLedger({ runCapUsd: 1 });
    ledger.settle(mustReserve(ledger, "a", 0.5), 0.7);
    mustReserve(ledger, "b", 0.2);
    expect(ledger.reserve("c", 0.2)).toEqual({
      ok: false,
      which: "run",
      reason:
        'the run\'s budget of $1.00 would be passed: $0.70 spent + $0.20 reserved for work in flight + $0.20 estimated for a dispatch of task "c" = $1.10; work in flight may cost less than reserved: wait for it, or raise the cap',
    });
    expect(ledger.reserve("c", 0.1).ok).toBe(true);
  });

  it("holds each task to its own cap, over all its dispatches, while other tasks go on", () => {
    const ledger = new BudgetLedger({ runCapUsd: 10, taskCapUsd: 1 });
    ledger.settle(mustReserve(ledger, "a", 0.6), 0.6);
    expect(ledger.reserve("a", 0.5)).toEqual({
      ok: false,
      which: "task",
      reason:
        'task "a"\'s budget of $1.00 would be passed: $0.60 spent + $0.00 reserved for work in flight + $0.50 estimated for a dispatch of task "a" = $1.10; raise the cap to go on',
    });
    expect(ledger.reserve("b", 0.5).ok).toBe(true);
    expect(ledger.reserve("a", 0.4).ok).toBe(true);
  });

  it("names the run's cap first when both would be passed", () => {
    const ledger = new BudgetLedger({ runCapUsd: 1, taskCapUsd: 1 });
    expect(ledger.reserve("a", 2)).toMatchObject({ ok: false, which: "run" });
  });

  it("has no limit without caps, and gives a call that could be capped no cap", () => {
    const ledger = new BudgetLedger();
    expect(ledger.reserve("a", 1_000_000).ok).toBe(true);
    const capped = mustReserve(ledger, "a", 0.5, { isCapped: true });
    expect(capped).toEqual({
      id: "res-2",
      taskId: "a",
      amountMicros: 500_000,
      estimateMicros: 500_000,
    });
  });

  it("refuses a maxParallel that is not a whole number of slots", () => {
    expect(() => new BudgetLedger({}, { maxParallel: 0 })).toThrow(
      "maxParallel must be a whole number >= 1, got 0",
    );
  });
});

describe("BudgetLedger.settle and release", () => {
  it("moves a reservation to spent at its real cost, or drops it", () => {
    const ledger = new BudgetLedger({ runCapUsd: 5 });
    const a = mustReserve(ledger, "a", 1);
    const b = mustReserve(ledger, "b", 1);
    const c = mustReserve(ledger, "a", 0.5);
    expect([ledger.spent, ledger.reserved]).toEqual([0, 2.5]);
    ledger.settle(a, 1.25);
    expect([ledger.spent, ledger.reserved]).toEqual([1.25, 1.5]);
    ledger.release(b);
    expect([ledger.spent, ledger.reserved]).toEqual([1.25, 0.5]);
    ledger.settle(c, 0.000001);
    expect([ledger.spent, ledger.reserved]).toEqual([1.250001, 0]);
    expect([ledger.spentFor("a"), ledger.reservedFor("a"), ledger.spentFor("b")]).toEqual([
      1.250001, 0, 0,
    ]);
    expect(ledger.listOpen()).toEqual([]);
  });

  it("sums many small costs exactly", () => {
    const ledger = new BudgetLedger();
    for (let i = 0; i < 1000; i++) ledger.settle(mustReserve(ledger, "a", 0.1), 0.001);
    expect(ledger.spent).toBe(1);
  });

  it("refuses to close a reservation twice (a bug in the caller)", () => {
    const ledger = new BudgetLedger();
    const a = mustReserve(ledger, "a", 1);
    ledger.settle(a, 1);
    expect(() => ledger.settle(a, 1)).toThrow('cannot settle reservation "res-1": it is not open');
    expect(() => ledger.release(a)).toThrow('cannot release reservation "res-1": it is not open');
    expect(ledger.spent).toBe(1);
  });
});

describe("BudgetLedger.reserve for a call whose CLI caps its spend", () => {
  it("cannot overspend the run: 8 parallel calls of cap $10 with $2 spent get caps summing to the $8 left", () => {
    // Found in review: each call was allowed all the room the others had not reserved, $4.50
    // each here, so 8 calls together could spend $36 against a $10 cap.
    const ledger = new BudgetLedger({ runCapUsd: 10 }, { maxParallel: 8 });
    ledger.settle(mustReserve(ledger, "plan", 2), 2);
    const calls = Array.from({ length: 8 }, (_, i) => mustReserveCapped(ledger, `t${i}`, 0.5));
    const caps = calls.map((call) => call.capUsd);
    expect(caps).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // The money set aside is the caps: the sum bounds what the calls in flight can spend.
    expect(ledger.reserved).toBe(8);
    expect(caps.reduce((sum, cap) => sum + cap, 0)).toBeLessThanOrEqual(10 - 2);
    // Nothing is left for a ninth.
    expect(ledger.reserve("t8", 0.5, { isCapped: true })).toMatchObject({
      ok: false,
      which: "run",
    });
    // Every call spends all of its cap: the run ends exactly at its cap, not past it.
    for (const call of calls) ledger.settle(call.reservation, call.capUsd);
    expect(ledger.spent).toBe(10);
  });

  it("splits the unreserved room among the free slots: equal shares together, the last slot all that is left", () => {
    const ledger = new BudgetLedger({ runCapUsd: 9 }, { maxParallel: 3 });
    const first = mustReserveCapped(ledger, "a", 0.25);
    expect(first).toMatchObject({ capUsd: 3, limitedBy: "run" });
    // An uncapped call holds a slot and its estimate.
    mustReserve(ledger, "b", 1);
    // $5 unreserved, one slot free: all of it.
    expect(mustReserveCapped(ledger, "c", 0.25).capUsd).toBe(5);
    // The first call spent less than its cap: what it did not spend is room again.
    ledger.settle(first.reservation, 0.5);
    expect(mustReserveCapped(ledger, "a", 0.25).capUsd).toBe(2.5);
    expect(ledger.spent + ledger.reserved).toBe(9);
  });

  it("gives a call at least its estimate, never more than the room, and refuses one whose estimate does not fit", () => {
    const ledger = new BudgetLedger({ runCapUsd: 4 }, { maxParallel: 3 });
    // A share would be $1.333333, but the call is expected to cost $3.
    expect(mustReserveCapped(ledger, "a", 3).capUsd).toBe(3);
    // $1 left: more than the estimate would not fit.
    expect(ledger.reserve("b", 1.5, { isCapped: true })).toMatchObject({ ok: false, which: "run" });
    // Two slots free: half of it each (rounded down to the micro-dollar, never up).
    expect(mustReserveCapped(ledger, "b", 0.1).capUsd).toBe(0.5);
    expect(mustReserveCapped(ledger, "c", 0.1).capUsd).toBe(0.5);
    expect(ledger.reserved).toBe(4);
    const thirds = new BudgetLedger({ runCapUsd: 1 }, { maxParallel: 3 });
    expect(mustReserveCapped(thirds, "a", 0).capUsd).toBe(0.333333);
  });

  it("holds a call to what its task's cap leaves, and says the task's cap bounded it", () => {
    const ledger = new BudgetLedger({ runCapUsd: 10, taskCapUsd: 1 }, { maxParallel: 2 });
    ledger.settle(mustReserve(ledger, "a", 0.6), 0.6);
    expect(mustReserveCapped(ledger, "a", 0.25)).toMatchObject({ capUsd: 0.4, limitedBy: "task" });
    // Another task: its own $1 is less than its share of the run's room.
    expect(mustReserveCapped(ledger, "b", 0.25)).toMatchObject({ capUsd: 1, limitedBy: "task" });
    // A task's capped call in flight is counted against the task's room.
    expect(ledger.reserve("a", 0.1, { isCapped: true })).toMatchObject({
      ok: false,
      which: "task",
    });
  });

  it("gives the whole task room under a task cap alone", () => {
    const ledger = new BudgetLedger({ taskCapUsd: 2 }, { maxParallel: 8 });
    expect(mustReserveCapped(ledger, "a", 0.25)).toMatchObject({ capUsd: 2, limitedBy: "task" });
  });

  it("says the run bounded a cap when its room and the task's are equal", () => {
    const ledger = new BudgetLedger({ runCapUsd: 1, taskCapUsd: 1 });
    expect(mustReserveCapped(ledger, "a", 0.25)).toMatchObject({ capUsd: 1, limitedBy: "run" });
  });

  it("refuses a capped call with a zero estimate when no room is left: a $0 cap is no cap", () => {
    const ledger = new BudgetLedger({ runCapUsd: 1 });
    ledger.settle(mustReserve(ledger, "a", 1), 1);
    expect(ledger.reserve("a", 0).ok).toBe(true);
    expect(ledger.reserve("a", 0, { isCapped: true })).toMatchObject({ ok: false, which: "run" });
  });

  it("counts a call whose outcome is unknown at its estimate, or at its cap when capped", () => {
    const ledger = new BudgetLedger({ runCapUsd: 10 }, { maxParallel: 2 });
    const uncapped = mustReserve(ledger, "a", 0.5);
    const capped = mustReserveCapped(ledger, "b", 0.5);
    expect(capped.capUsd).toBe(9.5);
    ledger.settle(uncapped, null);
    expect(ledger.spentFor("a")).toBe(0.5);
    ledger.settle(capped.reservation, null);
    expect(ledger.spentFor("b")).toBe(9.5);
  });
});

describe("BudgetLedger.restore", () => {
  const facts: BudgetFact[] = [
    { type: "budget.reserved", reservationId: "res-1", taskId: "a", estimateUsd: 1 },
    { type: "budget.reserved", reservationId: "res-2", taskId: "b", estimateUsd: 2 },
    { type: "budget.reserved", reservationId: "res-3", taskId: "c", estimateUsd: 0.5 },
    { type: "budget.settled", reservationId: "res-1", actualUsd: 0.75 },
    { type: "budget.released", reservationId: "res-3" },
    { type: "budget.reserved", reservationId: "res-4", taskId: "a", estimateUsd: 1.5 },
  ];

  it("counts reservations a killed bosun left open as spent at their estimates", () => {
    const { ledger, lostReservations } = BudgetLedger.restore({ runCapUsd: 5 }, facts);
    expect(lostReservations).toEqual([
      { id: "res-2", taskId: "b", amountMicros: 2_000_000, estimateMicros: 2_000_000 },
      { id: "res-4", taskId: "a", amountMicros: 1_500_000, estimateMicros: 1_500_000 },
    ]);
    expect([ledger.spent, ledger.reserved]).toEqual([0.75 + 2 + 1.5, 0]);
    expect([ledger.spentFor("a"), ledger.spentFor("b"), ledger.spentFor("c")]).toEqual([
      2.25, 2, 0,
    ]);
    expect(ledger.listOpen()).toEqual([]);
    expect(ledger.reserve("d", 0.75).ok).toBe(true);
    expect(ledger.reserve("d", 0.01).ok).toBe(false);
  });

  it("counts an open capped call at its cap, which its CLI could have spent, and a settled one at its cost", () => {
    const capped: BudgetFact[] = [
      { type: "budget.reserved", reservationId: "w", taskId: "a", estimateUsd: 0.25, capUsd: 3 },
      { type: "budget.reserved", reservationId: "c", taskId: "b", estimateUsd: 0.25, capUsd: 2 },
      { type: "budget.settled", reservationId: "c", actualUsd: 0.5 },
    ];
    const { ledger, lostReservations } = BudgetLedger.restore({ runCapUsd: 5 }, capped);
    expect(lostReservations).toEqual([
      {
        id: "w",
        taskId: "a",
        amountMicros: 3_000_000,
        estimateMicros: 250_000,
        capMicros: 3_000_000,
      },
    ]);
    expect([ledger.spentFor("a"), ledger.spentFor("b"), ledger.spent]).toEqual([3, 0.5, 3.5]);
    expect(ledger.reserve("x", 1.5).ok).toBe(true);
    expect(ledger.reserve("x", 0.01).ok).toBe(false);
  });

  it("gives new reservations ids the journal has not used", () => {
    const { ledger } = BudgetLedger.restore({}, facts);
    expect(mustReserve(ledger, "x", 1).id).toBe("res-5");
    const gappy: BudgetFact[] = [
      { type: "budget.reserved", reservationId: "res-2", taskId: "a", estimateUsd: 1 },
    ];
    const restored = BudgetLedger.restore({}, gappy).ledger;
    expect([mustReserve(restored, "x", 1).id, mustReserve(restored, "x", 1).id]).toEqual([
      "res-1",
      "res-3",
    ]);
  });

  it("refuses a journal that closes what it never opened, or closes twice", () => {
    const damaged = (detail: string): string =>
      `The run's budget record is inconsistent: ${detail}. The run's events.jsonl may be damaged; check it before resuming.`;
    expect(() =>
      BudgetLedger.restore({}, [{ type: "budget.released", reservationId: "res-9" }]),
    ).toThrow(damaged('reservation "res-9" is never reserved'));
    expect(() =>
      BudgetLedger.restore({}, [
        ...facts,
        { type: "budget.settled", reservationId: "res-1", actualUsd: 1 },
      ]),
    ).toThrow(damaged('reservation "res-1" is closed twice'));
    const reserved: BudgetFact = {
      type: "budget.reserved",
      reservationId: "res-1",
      taskId: "a",
      estimateUsd: 1,
    };
    expect(() => BudgetLedger.restore({}, [reserved, reserved])).toThrow(
      damaged('reservation "res-1" is recorded twice'),
    );
  });
});

describe("CostEstimator", () => {
  it("uses the default until a seat has a cost", () => {
    const estimator = new CostEstimator({ defaultUsd: 0.5 });
    expect(estimator.estimateUsd(getSeatKey("claude", "worker"))).toBe(0.5);
    estimator.record(getSeatKey("codex", "reviewer"), 0.1);
    expect(estimator.estimateUsd("claude/worker")).toBe(0.5);
    expect(estimator.estimateUsd("codex/reviewer")).toBe(0.1);
  });

  it("takes the largest of the last few costs by default", () => {
    const estimator = new CostEstimator({ defaultUsd: 1, recentCount: 3 });
    for (const cost of [0.9, 0.2, 0.3, 0.1]) estimator.record("s", cost);
    // 0.9 has left the window of three.
    expect(estimator.estimateUsd("s")).toBe(0.3);
  });

  it("takes the running mean, rounded up to the micro-dollar, in mean mode", () => {
    const estimator = new CostEstimator({ defaultUsd: 1, mode: "mean" });
    for (const cost of [0.1, 0.2, 0.2]) estimator.record("s", cost);
    // 0.5 / 3 = 0.1666666…: rounded up, so a reservation is never a hair short.
    expect(estimator.estimateUsd("s")).toBe(0.166667);
  });

  it("refuses a window of no costs", () => {
    expect(() => new CostEstimator({ defaultUsd: 1, recentCount: 0 })).toThrow(
      "recentCount must be a whole number >= 1, got 0",
    );
  });
});
