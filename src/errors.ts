/**
 * The error hierarchy. Every error bosun expects carries an exit code and a message that says
 * what failed, on what, and what to do next; `main()` prints these without a stack.
 */

/** Base of every error bosun raises on purpose. */
export class BosunError extends Error {
  /** Process exit code when this error ends the CLI. */
  readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** One problem in a config file, as `bosun validate --json` reports it. */
export interface ConfigIssue {
  /** The file at fault (absolute path). */
  file: string;
  /** 1-based line in that file, when known. */
  line?: number;
  /** Dot path of the key at fault, "" when the problem is the whole file. */
  key: string;
  /** What is wrong and, where bosun can tell, what would be right. */
  message: string;
}

/** A config file (bosun.yaml, global config) is missing a value or holds a bad one. Exit 2. */
export class ConfigError extends BosunError {
  /** The problems found, one per file and key (empty when the message says it all). */
  readonly issues: readonly ConfigIssue[];

  constructor(message: string, options?: { cause?: unknown; issues?: readonly ConfigIssue[] }) {
    super(message, {
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
      exitCode: 2,
    });
    this.issues = options?.issues ?? [];
  }
}

/** A file under `.bosun/` is invalid, locked, or in a state that forbids the operation. */
export class StateError extends BosunError {}

/** An agent CLI failed: not found, bad auth, crashed, timed out or produced no usable output. */
export class AgentError extends BosunError {
  /** True when a retry cannot help (auth, not found, bad request). */
  readonly isPermanent: boolean;

  constructor(message: string, options?: { cause?: unknown; isPermanent?: boolean }) {
    super(message, options);
    this.isPermanent = options?.isPermanent ?? false;
  }
}

/** The agent's binary is not installed where bosun looked. Permanent. */
export class AgentNotFoundError extends AgentError {
  /** `hint` replaces the default advice (install it or set agents.<harness>.command). */
  constructor(command: string, harness: string, options?: { cause?: unknown; hint?: string }) {
    const hint = options?.hint ?? `install it or set agents.${harness}.command in bosun.yaml`;
    super(`"${command}" not found on PATH (${hint})`, { cause: options?.cause, isPermanent: true });
  }
}

/** The command line was wrong: unknown flag value, missing argument. Exit 2. */
/**
 * A dispatch was not started because its estimated cost would pass a budget cap (run or task).
 * Nothing was spent on it; a team run stops starting work and ends `budget_exhausted`.
 */
export class BudgetExhaustedError extends BosunError {
  /** Which cap stood in the way. */
  readonly scope: "run" | "task";

  constructor(message: string, scope: "run" | "task") {
    super(message);
    this.scope = scope;
  }
}

export class UsageError extends BosunError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, exitCode: 2 });
  }
}

/** The user or a signal cancelled the operation. Exit 130, like a shell's Ctrl-C. */
export class CancelledError extends BosunError {
  constructor(message = "Cancelled.", options?: { cause?: unknown }) {
    super(message, { ...options, exitCode: 130 });
  }
}

/** Narrows an unknown error to a Node system error with a `code` such as ENOENT. */
export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

/** A printable message for any thrown value. */
export function getErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
