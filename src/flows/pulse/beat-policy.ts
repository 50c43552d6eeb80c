/**
 * The beat's rules about the brain, kept pure: when a world is worth a model call (it changed,
 * a schedule fired, the last noop is old, a move asked for a look back), when the brain must
 * wait (calls per hour, USD per day, failure backoff, the provider's quota), and which sensors
 * flap. Each reads and updates only the loop's state; the beat writes it.
 */
import stableStringify from "fast-json-stable-stringify";
import type { Config } from "../../store/schema/config.js";
import type { SensorReading } from "../../store/schema/pulse.js";
import type { PulseState } from "../../store/schema/pulse-record.js";

/** Brain calls are counted over this window for `brainCallsPerHour`. */
export const HOUR_MS = 3_600_000;

/** Signals kept per sensor to spot flapping, and the changes among them that count as flapping. */
const SIGNAL_HISTORY = 8;
const FLAPPING_CHANGES = 4;

/** Days of spend kept in the state (the cap is per UTC day; a few days are kept for status). */
const SPEND_DAYS_KEPT = 7;

/** How long the brain waits after `failures` in a row: 30 s, doubling, at most 30 min. */
export function getFailureBackoffMs(failures: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, failures - 1), 30 * 60_000);
}

/** Why the brain should decide on this world now, or undefined when it should not. */
export function getDecideReason(
  state: PulseState,
  worldHash: string,
  firedScheduleIds: readonly string[],
  nowMs: number,
  pulse: Config["pulse"],
): string | undefined {
  if (state.lastWorldHash === undefined) return "first beat";
  if (firedScheduleIds.length > 0) return `schedule ${firedScheduleIds.join(", ")} fired`;
  if (state.lastWorldHash !== worldHash) return "the world changed";
  if (state.redecideAtMs !== undefined && nowMs >= state.redecideAtMs)
    return "the last decision asked for a look back";
  const ttlMs = pulse.noopTtlSec * 1000;
  const lastMs = state.lastNoopAtMs ?? state.lastDecisionAtMs;
  if (ttlMs > 0 && lastMs !== undefined && nowMs - lastMs >= ttlMs)
    return `nothing decided for ${pulse.noopTtlSec} s`;
  return undefined;
}

/** Why the brain may not be called now (a budget, a backoff), or undefined when it may. */
export function getBrainBlock(
  state: PulseState,
  nowMs: number,
  pulse: Config["pulse"],
  workersSpentTodayUsd = 0,
): string | undefined {
  if (state.quotaResetAtMs !== undefined && nowMs < state.quotaResetAtMs)
    return `the provider's limit resets at ${new Date(state.quotaResetAtMs).toISOString()}; sensing goes on`;
  if (state.backoffUntilMs !== undefined && nowMs < state.backoffUntilMs)
    return `backing off after ${state.consecutiveFailures} brain failure(s) until ${new Date(state.backoffUntilMs).toISOString()}`;
  const calls = state.brainCallTimesMs.filter((t) => nowMs - t < HOUR_MS).length;
  if (calls >= pulse.brainCallsPerHour)
    return `brain budget spent: ${calls} of ${pulse.brainCallsPerHour} calls in the last hour; sensing goes on`;
  // The brain's spend and its workers': both are the loop's.
  const spent = (state.spendUsdByDay[getUtcDay(nowMs)] ?? 0) + workersSpentTodayUsd;
  if (pulse.budgetUsdPerDay > 0 && spent >= pulse.budgetUsdPerDay)
    return `daily budget spent: $${spent.toFixed(2)} of $${pulse.budgetUsdPerDay.toFixed(2)} today (UTC); sensing goes on`;
  return undefined;
}

/** Adds spend to today's total, dropping days older than a week. */
export function addSpend(state: PulseState, usd: number, nowMs: number): void {
  const today = getUtcDay(nowMs);
  state.spendUsdByDay[today] = (state.spendUsdByDay[today] ?? 0) + usd;
  const days = Object.keys(state.spendUsdByDay).sort();
  for (const day of days.slice(0, Math.max(0, days.length - SPEND_DAYS_KEPT)))
    delete state.spendUsdByDay[day];
}

/** `2026-12-03` for a time. */
export function getUtcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/**
 * Adds this beat's signals to each sensor's history and returns the sensors that flap: their
 * signal changed at least FLAPPING_CHANGES times over the last SIGNAL_HISTORY beats.
 */
export function noteSignals(state: PulseState, readings: readonly SensorReading[]): string[] {
  const history = state.signalHistory ?? {};
  const flapping: string[] = [];
  for (const reading of readings) {
    const signal = reading.status === "ok" ? stableStringify(reading.signal) : "(failing)";
    const kept = [...(history[reading.name] ?? []), signal.slice(0, 200)].slice(-SIGNAL_HISTORY);
    history[reading.name] = kept;
    let changes = 0;
    for (let i = 1; i < kept.length; i += 1) if (kept[i] !== kept[i - 1]) changes += 1;
    if (changes >= FLAPPING_CHANGES) flapping.push(reading.name);
  }
  // A sensor removed is forgotten.
  const names = new Set(readings.map((reading) => reading.name));
  for (const name of Object.keys(history)) if (!names.has(name)) delete history[name];
  state.signalHistory = history;
  return flapping;
}
