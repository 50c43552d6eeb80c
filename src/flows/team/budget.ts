/**
 * The budget ledger of a team run: money is reserved before a dispatch starts and settled when
 * it ends, so caps are enforced before spending, not noticed after. A call whose CLI caps its
 * own spend reserves the cap it is given, so what is spent plus what calls in flight may spend
 * never passes a cap. Sums are integer micro-dollars, so no number of additions drifts the way
 * float dollars do.
 */
import { StateError } from "../../errors.js";

/** Micro-dollars per dollar. */
const MICROS_PER_USD = 1_000_000;

/** Dollars to integer micro-dollars (costs.jsonl holds dollars rounded to 6 places). */
export function usdToMicros(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) {
    throw new RangeError(`an amount in USD must be a finite number >= 0, got ${usd}`);
  }
  return Math.round(usd * MICROS_PER_USD);
}

/** Integer micro-dollars to dollars. */
export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** `$5.00`, `$0.123456`: cents always, more places only when they are not zero. */
export function formatUsd(micros: number): string {
  const text = (micros / MICROS_PER_USD).toFixed(6).replace(/0{1,4}$/, "");
  return `$${text}`;
}

/** The caps of a run; an absent cap is no limit. */
export interface BudgetCaps {
  /** Most the whole run may spend, in USD. */
  runCapUsd?: number;
  /** Most one task may spend over all its dispatches (worker, reviewer, every round), in USD. */
  taskCapUsd?: number;
}

/** How the ledger shares the room under the run's cap between capped calls. */
export interface BudgetLedgerOptions {
  /**
   * How many dispatches may be in flight at once (the run's `--max-parallel`; default 1): a
   * capped call is given at least its share of the unreserved room, split among the slots not
   * in use.
   */
  maxParallel?: number;
}

/** Money set aside for one dispatch until it is settled or released. */
export interface Reservation {
  /** Unique in the run; journal it, `BudgetLedger.restore` matches facts by it. */
  readonly id: string;
  /** The task the dispatch works on. */
  readonly taskId: string;
  /** The amount set aside, in micro-dollars: the cap of a capped call, else its estimate. */
  readonly amountMicros: number;
  /** What the dispatch was expected to cost, in micro-dollars. */
  readonly estimateMicros: number;
  /**
   * For a call whose CLI caps its own spend: the cap handed to it, in micro-dollars (equal to
   * `amountMicros`: the money set aside is the most the call may spend). Absent: not capped.
   */
  readonly capMicros?: number;
}

/**
 * A reservation made (for a capped call, with the cap that bounded its cap: the run's, share
 * included, or its task's), or why not and which cap stood in the way.
 */
export type ReserveResult =
  | { ok: true; reservation: Reservation; capLimitedBy?: "run" | "task" }
  | { ok: false; reason: string; which: "run" | "task" };

/** A task's spent and reserved sums, in micro-dollars. */
interface TaskSums {
  spentMicros: number;
  reservedMicros: number;
}

/**
 * Spent and reserved money for one run. A dispatch reserves first (`reserve`); the reservation
 * is refused when spent + reserved for work in flight + the estimate would pass a cap. A call
 * whose CLI can cap its own spend reserves the cap it is given, so the open reservations bound
 * what calls in flight can spend (see `reserve`). When the dispatch ends, `settle` replaces the
 * reservation with what it really cost; `release` drops a reservation whose dispatch never
 * started.
 */
export class BudgetLedger {
  private readonly runCapMicros: number | undefined;
  private readonly taskCapMicros: number | undefined;
  private readonly maxParallel: number;
  private readonly open = new Map<string, Reservation>();
  private readonly tasks = new Map<string, TaskSums>();
  private readonly usedIds = new Set<string>();
  private spentMicrosTotal = 0;
  private reservedMicrosTotal = 0;
  private nextId = 1;

  constructor(caps: BudgetCaps = {}, options: BudgetLedgerOptions = {}) {
    this.runCapMicros = caps.runCapUsd === undefined ? undefined : usdToMicros(caps.runCapUsd);
    this.taskCapMicros = caps.taskCapUsd === undefined ? undefined : usdToMicros(caps.taskCapUsd);
    this.maxParallel = options.maxParallel ?? 1;
    if (!Number.isInteger(this.maxParallel) || this.maxParallel < 1) {
      throw new RangeError(`maxParallel must be a whole number >= 1, got ${this.maxParallel}`);
    }
  }

  /** Dollars spent (settled) in the run. */
  get spent(): number {
    return microsToUsd(this.spentMicrosTotal);
  }

  /** Dollars reserved by dispatches in flight. */
  get reserved(): number {
    return microsToUsd(this.reservedMicrosTotal);
  }

  /** Dollars spent (settled) by one task. */
  spentFor(taskId: string): number {
    return microsToUsd(this.tasks.get(taskId)?.spentMicros ?? 0);
  }

  /** Dollars reserved by one task's dispatches in flight. */
  reservedFor(taskId: string): number {
    return microsToUsd(this.tasks.get(taskId)?.reservedMicros ?? 0);
  }

  /** The reservations not settled or released yet, oldest first. */
  listOpen(): Reservation[] {
    return [...this.open.values()];
  }

  /**
   * Sets money aside for a dispatch of `taskId`, or refuses: when spent + reserved + the estimate
   * would pass the run's cap (`which: "run"`, checked first: nothing may start), or the task's
   * own (`which: "task"`: other tasks may).
   *
   * An uncapped call (its CLI cannot cap its spend) sets its estimate aside. A capped call
   * (`isCapped`) sets aside its cap, and the caller must hand the CLI exactly `capMicros`: the
   * larger of its estimate and its fair share of the run's unreserved room (that room split
   * among the `maxParallel` slots not in flight, so calls started together get equal shares and
   * the last free slot gets all that is left), never more than the room under the run's cap or
   * the task's. Every capped call in flight can then spend at most what is reserved for it, and
   * spent + reserved never passes a cap, so neither can what is spent once they end (but for
   * what a CLI spends past its cap in its last model turn, and an uncapped call's overrun of
   * its estimate). A capped call needs room for a cap above zero even when its estimate is zero.
   */
  reserve(
    taskId: string,
    estimateUsd: number,
    options: { isCapped?: boolean } = {},
  ): ReserveResult {
    const estimateMicros = usdToMicros(estimateUsd);
    const isCapped =
      options.isCapped === true &&
      (this.runCapMicros !== undefined || this.taskCapMicros !== undefined);
    // A cap of $0 is no cap (dispatch refuses it): a capped call needs a micro-dollar at least.
    const amountMicros = isCapped ? Math.max(estimateMicros, 1) : estimateMicros;
    const sums = this.tasks.get(taskId) ?? { spentMicros: 0, reservedMicros: 0 };
    const runRefusal = getRefusal("run", this.runCapMicros, {
      spentMicros: this.spentMicrosTotal,
      reservedMicros: this.reservedMicrosTotal,
      amountMicros,
      taskId,
    });
    if (runRefusal !== undefined) return { ok: false, reason: runRefusal, which: "run" };
    const taskRefusal = getRefusal("task", this.taskCapMicros, { ...sums, amountMicros, taskId });
    if (taskRefusal !== undefined) return { ok: false, reason: taskRefusal, which: "task" };
    const id = this.takeId();
    if (!isCapped) return { ok: true, reservation: this.addOpen(id, taskId, estimateMicros) };
    const cap = this.getCap(sums, estimateMicros);
    const reservation = this.addOpen(id, taskId, cap.micros, {
      estimateMicros,
      capMicros: cap.micros,
    });
    return { ok: true, reservation, capLimitedBy: cap.limitedBy };
  }

  /**
   * The cap of a capped call that fits (see `reserve`), and which cap bounded it: the run's
   * (its room, or the share of it) or the task's room, the run's when both are equal.
   */
  private getCap(
    sums: TaskSums,
    estimateMicros: number,
  ): { micros: number; limitedBy: "run" | "task" } {
    let cap: { micros: number; limitedBy: "run" | "task" } = {
      micros: Number.POSITIVE_INFINITY,
      limitedBy: "run",
    };
    if (this.runCapMicros !== undefined) {
      const roomMicros = this.runCapMicros - this.spentMicrosTotal - this.reservedMicrosTotal;
      // Each call in flight holds one slot, capped or not; a slot count lowered on resume
      // below what is open still leaves this call one.
      const freeSlots = Math.max(1, this.maxParallel - this.open.size);
      const shareMicros = Math.floor(roomMicros / freeSlots);
      cap = {
        micros: Math.min(roomMicros, Math.max(estimateMicros, shareMicros)),
        limitedBy: "run",
      };
    }
    if (this.taskCapMicros !== undefined) {
      // A task's room is its own (one dispatch of a task runs at a time): no share to leave.
      const roomMicros = this.taskCapMicros - sums.spentMicros - sums.reservedMicros;
      if (roomMicros < cap.micros) cap = { micros: roomMicros, limitedBy: "task" };
    }
    return cap;
  }

  /**
   * Ends a reservation with what its dispatch really cost (more or less than reserved), or, with
   * `null`, for a call whose cost bosun cannot know (it failed, was killed or stopped): at the
   * amount reserved. That is the estimate for an uncapped call, as good a guess as there is, and
   * the cap for a capped one, which may have spent up to it before it ended.
   */
  settle(reservation: Reservation, actualUsd: number | null): void {
    const actualMicros = actualUsd === null ? reservation.amountMicros : usdToMicros(actualUsd);
    const sums = this.close(reservation, "settle");
    sums.spentMicros += actualMicros;
    this.spentMicrosTotal += actualMicros;
  }

  /** Ends a reservation whose dispatch never started (or spent nothing): nothing is spent. */
  release(reservation: Reservation): void {
    this.close(reservation, "release");
  }

  /** Records an open reservation (also used by restore, with the journaled id). */
  private addOpen(
    id: string,
    taskId: string,
    amountMicros: number,
    capped?: { estimateMicros: number; capMicros: number },
  ): Reservation {
    const reservation: Reservation =
      capped === undefined
        ? { id, taskId, amountMicros, estimateMicros: amountMicros }
        : { id, taskId, amountMicros, ...capped };
    const sums = this.getSums(taskId);
    sums.reservedMicros += amountMicros;
    this.reservedMicrosTotal += amountMicros;
    this.open.set(id, reservation);
    this.usedIds.add(id);
    return reservation;
  }

  /** Removes an open reservation's amount; settling or releasing one twice is a bug. */
  private close(reservation: Reservation, verb: "settle" | "release"): TaskSums {
    const held = this.open.get(reservation.id);
    if (held === undefined) {
      throw new Error(`cannot ${verb} reservation "${reservation.id}": it is not open`);
    }
    this.open.delete(held.id);
    const sums = this.getSums(held.taskId);
    sums.reservedMicros -= held.amountMicros;
    this.reservedMicrosTotal -= held.amountMicros;
    return sums;
  }

  private getSums(taskId: string): TaskSums {
    let sums = this.tasks.get(taskId);
    if (sums === undefined) {
      sums = { spentMicros: 0, reservedMicros: 0 };
      this.tasks.set(taskId, sums);
    }
    return sums;
  }

  private takeId(): string {
    let id = `res-${this.nextId++}`;
    while (this.usedIds.has(id)) id = `res-${this.nextId++}`;
    return id;
  }

  /**
   * Replays journaled facts into this (new) ledger; see `restore`. Returns the
   * reservations left open, now counted as spent at what they set aside.
   */
  private replay(facts: Iterable<BudgetFact>): Reservation[] {
    for (const fact of facts) {
      switch (fact.type) {
        case "budget.reserved":
          if (this.usedIds.has(fact.reservationId)) {
            throw damaged(`reservation "${fact.reservationId}" is recorded twice`);
          }
          this.addOpen(fact.reservationId, fact.taskId, ...getJournaledAmounts(fact));
          break;
        case "budget.settled":
        case "budget.released": {
          const held = this.open.get(fact.reservationId);
          if (held === undefined) {
            const what = this.usedIds.has(fact.reservationId) ? "closed twice" : "never reserved";
            throw damaged(`reservation "${fact.reservationId}" is ${what}`);
          }
          if (fact.type === "budget.settled") this.settle(held, fact.actualUsd);
          else this.release(held);
          break;
        }
      }
    }
    const lost = this.listOpen();
    for (const reservation of lost) this.settle(reservation, null);
    return lost;
  }

  /**
   * Rebuilds a run's ledger when the run resumes. A reservation that was neither settled nor
   * released belongs to a dispatch that was in flight when bosun died (`kill -9`, power loss):
   * its CLI may have spent money, but the result that carries the cost never reached bosun (a
   * dispatch whose costs.jsonl line was written should be given as settled, with that figure).
   * Its spend is unknown, so it counts as spent at what it set aside. For an uncapped call that
   * is its estimate: counting nothing would hand out the same money again after every crash (a
   * crash loop could spend without bound), counting the run's whole room would end the run over
   * one crash, and the estimate is what admission already set aside for it. For a capped call it
   * is its cap (`capUsd`), since its CLI could have spent up to that before it died, and less
   * would let the next call's cap pass the run's. A reservation journaled without `capUsd` (by
   * a bosun before capped calls reserved their caps) was reserved at its estimate, and counts at
   * it. The resumed run dispatches again under a new reservation, so both spends count, as they
   * do in costs.jsonl. A fact about a reservation never made, or closed twice, is a StateError:
   * the journal is damaged.
   */
  static restore(
    caps: BudgetCaps,
    facts: Iterable<BudgetFact>,
    options: BudgetLedgerOptions = {},
  ): RestoredBudget {
    const ledger = new BudgetLedger(caps, options);
    const lostReservations = ledger.replay(facts);
    return { ledger, lostReservations };
  }
}

/** What the budget part of a run's journal says, in order. */
export type BudgetFact =
  | {
      type: "budget.reserved";
      /** The reservation's id. */
      reservationId: string;
      /** Its task. */
      taskId: string;
      /** What the dispatch was expected to cost, in USD (what an uncapped call set aside). */
      estimateUsd: number;
      /** The cap handed to a capped call's CLI, in USD: what it set aside. Absent: uncapped. */
      capUsd?: number;
    }
  | {
      type: "budget.settled";
      /** The reservation's id. */
      reservationId: string;
      /** What the dispatch really cost, in USD. */
      actualUsd: number;
    }
  | {
      type: "budget.released";
      /** The reservation's id. */
      reservationId: string;
    };

/** A ledger rebuilt from a journal, and the reservations a dead bosun left open. */
export interface RestoredBudget {
  /** The ledger, with nothing open. */
  ledger: BudgetLedger;
  /** Reservations that were neither settled nor released: now counted as spent. */
  lostReservations: Reservation[];
}

/** What a journaled reservation set aside: its cap when it had one, else its estimate. */
function getJournaledAmounts(
  fact: Extract<BudgetFact, { type: "budget.reserved" }>,
): [number, { estimateMicros: number; capMicros: number }?] {
  const estimateMicros = usdToMicros(fact.estimateUsd);
  if (fact.capUsd === undefined) return [estimateMicros];
  const capMicros = usdToMicros(fact.capUsd);
  return [capMicros, { estimateMicros, capMicros }];
}

function damaged(detail: string): StateError {
  return new StateError(
    `The run's budget record is inconsistent: ${detail}. The run's events.jsonl may be damaged; check it before resuming.`,
  );
}

/** Why a reservation would pass a cap, or undefined when it fits (equal to the cap fits). */
function getRefusal(
  scope: "run" | "task",
  capMicros: number | undefined,
  sums: { spentMicros: number; reservedMicros: number; amountMicros: number; taskId: string },
): string | undefined {
  if (capMicros === undefined) return undefined;
  const { spentMicros, reservedMicros, amountMicros, taskId } = sums;
  const total = spentMicros + reservedMicros + amountMicros;
  if (total <= capMicros) return undefined;
  const whose = scope === "run" ? "the run's budget" : `task "${taskId}"'s budget`;
  const next =
    reservedMicros > 0
      ? "work in flight may cost less than reserved: wait for it, or raise the cap"
      : "raise the cap to go on";
  return `${whose} of ${formatUsd(capMicros)} would be passed: ${formatUsd(spentMicros)} spent + ${formatUsd(reservedMicros)} reserved for work in flight + ${formatUsd(amountMicros)} estimated for a dispatch of task "${taskId}" = ${formatUsd(total)}; ${next}`;
}

/** How an estimate is drawn from a seat's past costs. */
export type EstimateMode = "mean" | "max-recent";

/** The estimate policy. */
export interface CostEstimatorOptions {
  /** The estimate for a seat with no cost recorded yet, in USD. */
  defaultUsd: number;
  /**
   * `max-recent` (the default): the largest of the last `recentCount` costs, since a reservation
   * too small lets a run pass its cap; `mean`: the running mean of all costs, rounded up.
   */
  mode?: EstimateMode;
  /** How many recent costs `max-recent` looks at (default 5). */
  recentCount?: number;
}

/** The key of a seat: a harness playing a role (`claude/worker`), as costs.jsonl records them. */
export function getSeatKey(harness: string, role: string): string {
  return `${harness}/${role}`;
}

/**
 * What to reserve for the next dispatch of a seat, learned from what its dispatches cost. Feed
 * it settled costs only: a dispatch lost in a crash has no known cost.
 */
export class CostEstimator {
  private readonly defaultMicros: number;
  private readonly mode: EstimateMode;
  private readonly recentCount: number;
  private readonly seats = new Map<
    string,
    { sumMicros: number; count: number; recent: number[] }
  >();

  constructor(options: CostEstimatorOptions) {
    this.defaultMicros = usdToMicros(options.defaultUsd);
    this.mode = options.mode ?? "max-recent";
    this.recentCount = options.recentCount ?? 5;
    if (!Number.isInteger(this.recentCount) || this.recentCount < 1) {
      throw new RangeError(`recentCount must be a whole number >= 1, got ${this.recentCount}`);
    }
  }

  /** Records what one dispatch of a seat cost. */
  record(seatKey: string, actualUsd: number): void {
    const micros = usdToMicros(actualUsd);
    const seat = this.seats.get(seatKey) ?? { sumMicros: 0, count: 0, recent: [] };
    seat.sumMicros += micros;
    seat.count += 1;
    seat.recent.push(micros);
    if (seat.recent.length > this.recentCount) seat.recent.shift();
    this.seats.set(seatKey, seat);
  }

  /** The estimate for the next dispatch of a seat, in USD. */
  estimateUsd(seatKey: string): number {
    const seat = this.seats.get(seatKey);
    if (seat === undefined || seat.count === 0) return microsToUsd(this.defaultMicros);
    if (this.mode === "mean") return microsToUsd(Math.ceil(seat.sumMicros / seat.count));
    return microsToUsd(Math.max(...seat.recent));
  }
}
