/**
 * How every `bosun _` verb answers: one JSON document on stdout, `{"contract": 1, …}`, and for a
 * failure `{"contract": 1, "error": {code, message, exitCode}}` with that exit code. No zod here:
 * the error path must work whatever failed to load.
 */
import {
  AgentError,
  BosunError,
  BudgetExhaustedError,
  CancelledError,
  ConfigError,
  StateError,
  UsageError,
  getErrorMessage,
} from "../../errors.js";
import type { ContractOutput, ContractSchemaName } from "./schemas.js";

/** The contract version (kept equal to schemas.ts's CONTRACT_VERSION, which a test checks). */
export const CONTRACT = 1 as const;

/** Exit code of `wait` when --timeout passed with nothing changed (as timeout(1) exits). */
export const WAIT_TIMEOUT_EXIT_CODE = 124;

/** What the contract's messages name as the way to list runs. */
export const CONTRACT_LIST_COMMAND = "bosun _ runs";

/** Exit code of a failure bosun did not expect (a bug), as `main()` uses. */
const INTERNAL_EXIT_CODE = 70;

/** An error's `code` in the contract. */
export type ContractErrorCode = ContractOutput<"error">["error"]["code"];

/** Prints a verb's output: one line of JSON on stdout. */
export function printContract<N extends ContractSchemaName>(
  _verb: N,
  output: Omit<ContractOutput<N>, "contract">,
): void {
  process.stdout.write(`${JSON.stringify({ contract: CONTRACT, ...output })}\n`);
}

/** The contract's error object for `error` (any thrown value). */
export function createContractError(error: unknown): ContractOutput<"error">["error"] {
  if (error instanceof BosunError) {
    return { code: getErrorCode(error), message: error.message, exitCode: error.exitCode };
  }
  return {
    code: "internal",
    message: `${getErrorMessage(error)} (this is a bug in bosun; please report it with the command you ran)`,
    exitCode: INTERNAL_EXIT_CODE,
  };
}

/** Prints `error` as the contract's error document and returns its exit code. */
export function printContractError(error: unknown): number {
  const body = createContractError(error);
  process.stdout.write(`${JSON.stringify({ contract: CONTRACT, error: body })}\n`);
  return body.exitCode;
}

function getErrorCode(error: BosunError): ContractErrorCode {
  if (error instanceof UsageError) return "usage";
  if (error instanceof ConfigError) return "config";
  if (error instanceof CancelledError) return "cancelled";
  if (error instanceof BudgetExhaustedError) return "budget";
  if (error instanceof AgentError) return "agent";
  if (error instanceof StateError) return "state";
  // Any other BosunError is about bosun's state or the machine, never a bug.
  return "state";
}
