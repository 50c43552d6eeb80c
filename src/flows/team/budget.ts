/**
 * The budget ledger of a team run: money is reserved before a dispatch starts and settled when
 * it ends, so caps are enforced before spending, not noticed after. Sums are integer
 * micro-dollars, so no number of additions drifts the way float dollars do.
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

/** Money set aside for one dispatch until it is settled or released. */
export interface Reservation {
  /** Unique in the run; journal it, `BudgetLedger.restore` matches facts by it. */
  readonly id: string;
  /** The task the dispatch works on. */
  readonly taskId: string;
  /** The amount set aside, in micro-dollars. */
  readonly amountMicros: number;
}

/** A reservation made, or why not and which cap stood in the way. */
export type ReserveResult =
  { ok: true; reservation: Reservation } | { ok: false; reason: string; which: "run" | "task" };

/** A task's spent and reserved sums, in micro-dollars. */
interface TaskSums {
  spentMicros: number;
  reservedMicros: number;
}

/**
 * Spent and reserved money for one run. A dispatch reserves its estimate first (`reserve`); the
 * reservation is refused when spent + reserved for work in flight + the estimate would pass a
 * cap. When the dispatch ends, `settle` replaces the reservation with what it really cost;
 * `release` drops a reservation whose dispatch never started.
 */
export class BudgetLedger {
  private readonly runCapMicros: number | undefined;
  private readonly taskCapMicros: number | undefined;
  private readonly open = new Map<string, Reservation>();
  private readonly tasks = new Map<string, TaskSums>();
  private readonly usedIds = new Set<string>();
  private spentMicrosTotal = 0;
  private reservedMicrosTotal = 0;
  private nextId = 1;

  constructor(caps: BudgetCaps = {}) {
    this.runCapMicros = caps.runCapUsd === undefined ? undefined : usdToMicros(caps.runCapUsd);
    this.taskCapMicros = caps.taskCapUsd === undefined ? undefined : usdToMicros(caps.taskCapUsd);
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
   * Sets `estimateUsd` aside for a dispatch of `taskId`, or refuses: when spent + reserved +
   * the estimate would pass the run's cap (`which: "run"`, checked first: nothing may start),
   * or the task's own (`which: "task"`: other tasks may).
   */
  reserve(taskId: string, estimateUsd: number): ReserveResult {
    const amountMicros = usdToMicros(estimateUsd);
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
    return { ok: true, reservation: this.addOpen(this.takeId(), taskId, amountMicros) };
  }

  /** Ends a reservation with what its dispatch really cost (more or less than the estimate). */
  settle(reservation: Reservation, actualUsd: number): void {
    const actualMicros = usdToMicros(actualUsd);
    const sums = this.close(reservation, "settle");
    sums.spentMicros += actualMicros;
    this.spentMicrosTotal += actualMicros;
  }

  /** Ends a reservation whose dispatch never started (or spent nothing): nothing is spent. */
  release(reservation: Reservation): void {
    this.close(reservation, "release");
  }

  /**
   * Dollars one more CLI call for `taskId` may spend as things stand (for Claude Code's
   * `--max-budget-usd`), or undefined when no cap applies: the room under each cap, where the
   * task's own reservations count as its room (ask after reserving: the call gets its estimate
   * and whatever no other work has set aside). Other dispatches in flight are counted at their
   * reservations; if several run past their estimates at once, together they can pass the run's
   * cap (each is held only to the room it was given), and then the next `reserve` is refused.
   */
  remainingFor(taskId: string): number | undefined {
    const sums = this.tasks.get(taskId) ?? { spentMicros: 0, reservedMicros: 0 };
    const rooms: number[] = [];
    if (this.runCapMicros !== undefined) {
      const othersReserved = this.reservedMicrosTotal - sums.reservedMicros;
      rooms.push(this.runCapMicros - this.spentMicrosTotal - othersReserved);
    }
    if (this.taskCapMicros !== undefined) rooms.push(this.taskCapMicros - sums.spentMicros);
    if (rooms.length === 0) return undefined;
    return microsToUsd(Math.max(0, Math.min(...rooms)));
  }

  /** Records an open reservation (also used by restore, with the journaled id). */
  private addOpen(id: string, taskId: string, amountMicros: number): Reservation {
    const reservation: Reservation = { id, taskId, amountMicros };
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
   * reservations left open, now counted as spent at their estimates.
   */
  private replay(facts: Iterable<BudgetFact>): Reservation[] {
    for (const fact of facts) {
      switch (fact.type) {
        case "budget.reserved":
          if (this.usedIds.has(fact.reservationId)) {
            throw damaged(`reservation "${fact.reservationId}" is recorded twice`);
          }
          this.addOpen(fact.reservationId, fact.taskId, usdToMicros(fact.estimateUsd));
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
    for (const reservation of lost) this.settle(reservation, microsToUsd(reservation.amountMicros));
    return lost;
  }

  /**
   * Rebuilds a run's ledger when the run resumes. A reservation that was neither settled nor
   * released belongs to a dispatch that was in flight when bosun died (`kill -9`, power loss):
   * its CLI may have spent money, but the result that carries the cost never reached bosun (a
   * dispatch whose costs.jsonl line was written should be given as settled, with that figure).
   * Its spend is unknown, so it counts as spent at its estimate: counting nothing would hand out
   * the same money again after every crash (a crash loop could spend without bound), counting the
   * cap would end the run over one crash, and the estimate is what admission already set aside
   * for it. The resumed run dispatches again under a new reservation, so both spends count, as
   * they do in costs.jsonl. A fact about a reservation never made, or closed twice, is a
   * StateError: the journal is damaged.
   */
  static restore(caps: BudgetCaps, facts: Iterable<BudgetFact>): RestoredBudget {
    const ledger = new BudgetLedger(caps);
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
      /** The amount set aside, in USD. */
      estimateUsd: number;
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
