/**
 * What every group of `bosun _` verbs shares (contract.ts, contract-pulse.ts, worker-host.ts):
 * running a verb so any failure becomes the contract's JSON error, and the argument parsers.
 * Small (no zod): loaded at every start.
 */
import { InvalidArgumentError } from "commander";
import { MAX_TIMER_SEC } from "../../store/limits.js";
import { printContractError } from "../contract/output.js";

/** Runs a verb; its exit code, or its failure as the contract's JSON error and that code. */
export function createVerbRunner(
  done: (code: number) => void,
): (verb: () => Promise<number>) => Promise<void> {
  return async (verb) => {
    try {
      done(await verb());
    } catch (error) {
      done(printContractError(error));
    }
  };
}

/** Whole seconds in plain digits, 1 to the longest timer Node holds. */
export function parseTimerSec(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_TIMER_SEC)
    throw new InvalidArgumentError(
      `expected whole seconds in plain digits, from 1 to ${MAX_TIMER_SEC}.`,
    );
  return n;
}
