/**
 * A team run's budgets, enforced before spending: every dispatch reserves its estimated cost
 * against the run's and its task's caps, and one that would pass a cap never starts. Rebuilt from
 * the journal on resume: a dispatch bosun was killed during counts as spent at its reservation.
 */
import { BudgetExhaustedError } from "../../errors.js";
import type { RunStore } from "../../store/run-store.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { DispatchBudget } from "../flow-context.js";
import { BudgetLedger, CostEstimator, getSeatKey, type BudgetFact } from "./budget.js";

/**
 * What a dispatch of a seat is assumed to cost before any of its dispatches finished: a typical
 * coding-agent call. Afterwards the estimate is the largest of the seat's recent real costs.
 */
export const DEFAULT_DISPATCH_ESTIMATE_USD = 0.25;

/**
 * A dispatch refused by a team run's budget, with the figures of the cap in the way (what the
 * run's journal records in `budget.exhausted`).
 */
export class TeamBudgetExhaustedError extends BudgetExhaustedError {
  /** The cap that refused, in USD. */
  readonly limitUsd: number;
  /** Spent plus reserved for work in flight under that cap (the whole run's, or the task's), in USD. */
  readonly spentUsd: number;

  constructor(
    message: string,
    scope: "run" | "task",
    figures: { limitUsd: number; spentUsd: number },
  ) {
    super(message, scope);
    this.limitUsd = figures.limitUsd;
    this.spentUsd = Math.round(figures.spentUsd * 1e6) / 1e6;
  }
}

/** The budget hook of a team run, or undefined when it has no cap. */
export function createTeamBudget(
  store: RunStore,
  options: TeamOptions,
): DispatchBudget | undefined {
  if (options.budgetUsd === undefined && options.taskBudgetUsd === undefined) return undefined;
  const caps = {
    ...(options.budgetUsd === undefined ? {} : { runCapUsd: options.budgetUsd }),
    ...(options.taskBudgetUsd === undefined ? {} : { taskCapUsd: options.taskBudgetUsd }),
  };
  const estimator = new CostEstimator({ defaultUsd: DEFAULT_DISPATCH_ESTIMATE_USD });
  const facts: BudgetFact[] = [];
  // A dispatch re-run after a crash reuses its journal key: each start is its own reservation.
  const current = new Map<string, string>();
  for (const event of store.events) {
    if (
      event.type !== "dispatch.started" &&
      event.type !== "dispatch.completed" &&
      event.type !== "dispatch.failed" &&
      event.type !== "dispatch.cancelled"
    )
      continue;
    const key = `${event.taskId}:${event.phase ?? ""}:${event.round}:${event.seat}:${event.attempt ?? 1}`;
    if (event.type === "dispatch.started") {
      if (event.reservedUsd === undefined) continue;
      const reservationId = `${key}#${event.seq}`;
      current.set(key, reservationId);
      facts.push({
        type: "budget.reserved",
        reservationId,
        taskId: event.taskId,
        estimateUsd: event.reservedUsd,
      });
      continue;
    }
    const reservationId = current.get(key);
    current.delete(key);
    if (event.type === "dispatch.completed") {
      estimator.record(getSeatKey(event.harness, event.seat), event.costUsd);
      if (reservationId !== undefined)
        facts.push({ type: "budget.settled", reservationId, actualUsd: event.costUsd });
    }
    // A failed or stopped dispatch's spend is unknown: its reservation stays open and is counted
    // as spent by restore, like one bosun was killed during.
  }
  const { ledger } = BudgetLedger.restore(caps, facts);
  return {
    reserve(scope, seat, harness) {
      const key = getSeatKey(harness, seat);
      const estimate = estimator.estimateUsd(key);
      const result = ledger.reserve(scope.taskId, estimate);
      if (!result.ok) {
        const isRun = result.which === "run";
        throw new TeamBudgetExhaustedError(result.reason, result.which, {
          limitUsd: (isRun ? caps.runCapUsd : caps.taskCapUsd) ?? 0,
          spentUsd: isRun
            ? ledger.spent + ledger.reserved
            : ledger.spentFor(scope.taskId) + ledger.reservedFor(scope.taskId),
        });
      }
      const { reservation } = result;
      const maxCallUsd = ledger.remainingFor(scope.taskId);
      return {
        reservedUsd: estimate,
        ...(maxCallUsd === undefined ? {} : { maxCallUsd }),
        settle(actualUsd) {
          if (actualUsd === null) {
            ledger.settle(reservation, estimate);
            return;
          }
          ledger.settle(reservation, actualUsd);
          estimator.record(key, actualUsd);
        },
      };
    },
  };
}
