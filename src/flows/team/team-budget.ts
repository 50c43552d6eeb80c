/**
 * A team run's budgets, enforced before spending: every dispatch reserves its estimated cost (a
 * call whose CLI can cap its spend, the cap it is given) against the run's and its task's caps,
 * and one that would pass a cap never starts. Rebuilt from the journal on resume: a dispatch
 * bosun was killed during counts as spent at its reservation. A refusal, or a capped call that
 * spent its whole cap, stops the run's new work (journaled once); a resume with a higher cap
 * lifts the stop.
 */
import { BudgetExhaustedError } from "../../errors.js";
import { getTaskState } from "../../store/run-index.js";
import type { RunEvent } from "../../store/schema/events.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { Seat } from "../../store/schema/events.js";
import type { DispatchBudget, RunContext } from "../flow-context.js";
import {
  BudgetLedger,
  CostEstimator,
  formatUsd,
  microsToUsd,
  getSeatKey,
  usdToMicros,
  type BudgetCaps,
  type BudgetFact,
  type BudgetLedgerOptions,
} from "./budget.js";

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

/** The budget hook of a team run (its journal so far, its options now), or undefined when it has no cap. */
export function createTeamBudget(
  events: readonly RunEvent[],
  options: TeamOptions,
): DispatchBudget | undefined {
  if (options.budgetUsd === undefined && options.taskBudgetUsd === undefined) return undefined;
  const caps = getCaps(options);
  const { ledger, estimator } = restoreTeamLedger(events, caps, getLedgerOptions(options));
  /** The figures of the cap `scope` names, as `budget.exhausted` records them. */
  const getFigures = (scope: "run" | "task", taskId: string) => ({
    limitUsd: (scope === "run" ? caps.runCapUsd : caps.taskCapUsd) ?? 0,
    spentUsd:
      scope === "run"
        ? ledger.spent + ledger.reserved
        : ledger.spentFor(taskId) + ledger.reservedFor(taskId),
  });
  return {
    reserve(scope, seat, harness) {
      const key = getSeatKey(harness.name, seat);
      const estimate = estimator.estimateUsd(key);
      const result = ledger.reserve(scope.taskId, estimate, { isCapped: harness.isCapped });
      if (!result.ok) {
        throw new TeamBudgetExhaustedError(
          result.reason,
          result.which,
          getFigures(result.which, scope.taskId),
        );
      }
      const { reservation, capLimitedBy } = result;
      const capUsd =
        reservation.capMicros === undefined ? undefined : microsToUsd(reservation.capMicros);
      return {
        estimateUsd: estimate,
        ...(capUsd === undefined ? {} : { capUsd }),
        settle(actualUsd) {
          ledger.settle(reservation, actualUsd);
          if (actualUsd !== null) estimator.record(key, actualUsd);
        },
        settleCapSpent(actualUsd) {
          ledger.settle(reservation, actualUsd);
          estimator.record(key, actualUsd);
          const which = capLimitedBy ?? "run";
          const reason = getCapSpentReason({
            taskId: scope.taskId,
            seat,
            capUsd: capUsd ?? 0,
            actualUsd,
            which,
            limitUsd: getFigures(which, scope.taskId).limitUsd,
            ledger,
          });
          return new TeamBudgetExhaustedError(reason, which, getFigures(which, scope.taskId));
        },
      };
    },
  };
}

/**
 * Why a capped call that spent its whole cap stops its task or the run, with the figures and
 * what to do: like a refused reservation's reason (`getRefusal` in budget.ts).
 */
function getCapSpentReason(spent: {
  taskId: string;
  seat: Seat;
  capUsd: number;
  actualUsd: number;
  which: "run" | "task";
  limitUsd: number;
  ledger: BudgetLedger;
}): string {
  const { taskId, seat, which, ledger } = spent;
  const usd = (amount: number): string => formatUsd(usdToMicros(amount));
  const given =
    which === "run"
      ? `its share of what the run's budget of ${usd(spent.limitUsd)} had left unreserved`
      : `what task "${taskId}"'s budget of ${usd(spent.limitUsd)} had left`;
  const spentNow =
    which === "run"
      ? `${usd(ledger.spent)} spent + ${usd(ledger.reserved)} reserved for work in flight`
      : `${usd(ledger.spentFor(taskId))} spent by the task`;
  return `the ${seat} of task "${taskId}" spent ${usd(spent.actualUsd)}, all of the ${usd(spent.capUsd)} cap it was given (${given}), and its CLI stopped it; ${spentNow}; raise the cap to go on`;
}

/** How the ledger shares the run's room between capped calls: by the run's parallel slots. */
function getLedgerOptions(options: TeamOptions): BudgetLedgerOptions {
  return { maxParallel: options.maxParallel };
}

/** The ledger's caps from a run's options. */
function getCaps(options: TeamOptions): BudgetCaps {
  return {
    ...(options.budgetUsd === undefined ? {} : { runCapUsd: options.budgetUsd }),
    ...(options.taskBudgetUsd === undefined ? {} : { taskCapUsd: options.taskBudgetUsd }),
  };
}

/**
 * The run's ledger and cost estimates as its journal leaves them: every reservation, settled by
 * its dispatch's end (a failure that knows its cost, a capped call that spent its cap, at that
 * cost) or (never settled: a failure, a stop, a kill) counted as spent at what it set aside; a
 * dispatch made while the run had no cap counts at its real cost, so a cap given later with
 * --resume holds what was already spent against it.
 */
function restoreTeamLedger(
  events: readonly RunEvent[],
  caps: BudgetCaps,
  options: BudgetLedgerOptions = {},
): { ledger: BudgetLedger; estimator: CostEstimator } {
  const estimator = new CostEstimator({ defaultUsd: DEFAULT_DISPATCH_ESTIMATE_USD });
  const facts: BudgetFact[] = [];
  // A dispatch re-run after a crash reuses its journal key: each start is its own reservation.
  const current = new Map<string, string>();
  for (const event of events) {
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
        ...(event.capUsd === undefined ? {} : { capUsd: event.capUsd }),
      });
      continue;
    }
    let reservationId = current.get(key);
    current.delete(key);
    // A failure whose cost is known (a capped call that spent its cap) is settled like a completion.
    const costUsd = event.type === "dispatch.cancelled" ? undefined : event.costUsd;
    if (costUsd !== undefined) {
      estimator.record(getSeatKey(event.harness, event.seat), costUsd);
      if (reservationId === undefined) {
        // Started under no cap: nothing was set aside, but the money was spent all the same.
        reservationId = `${key}#${event.seq}`;
        facts.push({
          type: "budget.reserved",
          reservationId,
          taskId: event.taskId,
          estimateUsd: 0,
        });
      }
      facts.push({ type: "budget.settled", reservationId, actualUsd: costUsd });
    }
    // Any other failed or stopped dispatch's spend is unknown: its reservation stays open and is
    // counted as spent by restore at what it set aside, like one bosun was killed during.
  }
  const { ledger } = BudgetLedger.restore(caps, facts, options);
  return { ledger, estimator };
}

/** A budget stop, as `budget.exhausted` journals it. */
export type BudgetStop = Extract<RunEvent, { type: "budget.exhausted" }>;

/**
 * Journals a run's budget stop once, with the first refusal's figures. Parallel tasks refused
 * together each report theirs; the first call takes the one append synchronously, before anything
 * is awaited, and every later call waits for that same append, so each caller goes on only once
 * the stop is in the index (where the scheduler looks). Make one per process driving the run: a
 * stop is lifted only by a resume with a higher cap, which starts a new one.
 */
export function createBudgetStopRecorder(
  ctx: Pick<RunContext, "state" | "record">,
  options: TeamOptions,
): (taskId: string, error: BudgetExhaustedError) => Promise<void> {
  let recording: Promise<void> | undefined;
  return (taskId, error) => {
    recording ??=
      ctx.state.budgetExhausted !== undefined
        ? Promise.resolve()
        : recordStop(ctx, options, taskId, error);
    return recording;
  };
}

async function recordStop(
  ctx: Pick<RunContext, "state" | "record">,
  options: TeamOptions,
  taskId: string,
  error: BudgetExhaustedError,
): Promise<void> {
  const cap = error.scope === "run" ? options.budgetUsd : options.taskBudgetUsd;
  await ctx.record({
    type: "budget.exhausted",
    scope: error.scope,
    ...(error.scope === "task" ? { taskId } : {}),
    limitUsd: error instanceof TeamBudgetExhaustedError ? error.limitUsd : (cap ?? 0),
    spentUsd:
      error instanceof TeamBudgetExhaustedError
        ? error.spentUsd
        : (getTaskState(ctx.state, taskId)?.costUsd ?? 0),
  });
}

/**
 * Why a run stopped by its budget cannot go on with `options` (a message saying what to pass),
 * or undefined when they lift the stop: the cap that stopped it must be raised, above the figure
 * the stop recorded and above what is spent under it now (a reservation a crash left open counts
 * as spent), and a run cap must also be above the run's spend, or the first dispatch would stop
 * the run again.
 */
export function getBudgetStopProblem(
  events: readonly RunEvent[],
  stop: BudgetStop,
  options: TeamOptions,
  resume: { runId: string; command: string },
): string | undefined {
  const { ledger } = restoreTeamLedger(events, getCaps(options));
  const taskCheck =
    stop.scope === "task" && stop.taskId !== undefined
      ? {
          flag: "--task-budget-usd",
          whose: "each task's cap",
          capUsd: options.taskBudgetUsd,
          floorUsd: Math.max(stop.limitUsd, ledger.spentFor(stop.taskId)),
        }
      : undefined;
  const runCheck = {
    flag: "--budget-usd",
    whose: "the run's cap",
    capUsd: options.budgetUsd,
    floorUsd: Math.max(stop.scope === "run" ? stop.limitUsd : 0, ledger.spent),
  };
  for (const check of taskCheck === undefined ? [runCheck] : [taskCheck, runCheck]) {
    if (check.capUsd === undefined || check.capUsd > check.floorUsd) continue;
    const stopper = stop.scope === "run" ? "the run's cap" : `task ${stop.taskId ?? "?"}'s cap`;
    const floor = formatUsd(usdToMicros(check.floorUsd));
    const now =
      check.capUsd === check.floorUsd ? "" : ` (it is ${formatUsd(usdToMicros(check.capUsd))} now)`;
    return `Run ${resume.runId} stopped on its budget: ${stopper} of ${formatUsd(usdToMicros(stop.limitUsd))} refused a dispatch with ${formatUsd(usdToMicros(stop.spentUsd))} spent or reserved. To continue it, raise ${check.whose} above ${floor}${now}: ${resume.command} ${check.flag} AMOUNT`;
  }
  return undefined;
}
