/**
 * The pulse on the dashboard: its status (the object `bosun _ state` prints) and a human's
 * approve or reject of a held decision's moves, each move on its own, through the function
 * `bosun pulse approve|reject` calls (`settleHeldActions`, under the beat lock).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { dispatch } from "../agents/dispatch.js";
import { UsageError } from "../errors.js";
import { withBeatLock } from "../flows/pulse/beat-lock.js";
import type { PulseEnv } from "../flows/pulse/pulse-env.js";
import { readPulseStatus, type PulseStatus } from "../flows/pulse/pulse-status.js";
import { settleHeldActions } from "../flows/pulse/settle.js";
import { isSafeId, type BosunPaths } from "../store/paths.js";
import type { Config } from "../store/schema/config.js";
import type { PulseDecisionRecord } from "../store/schema/pulse-record.js";
import { DASHBOARD_SOURCE } from "./actions.js";

/** `/api/pulse`: `bosun _ state`'s document; `state` is null where the pulse was never set up. */
export interface DashboardPulseState {
  /** The contract's version, as `bosun _ state` prints it. */
  contract: 1;
  /** The pulse's status, or null without `.bosun/pulse/`. */
  state: PulseStatus | null;
}

/** What the page's approve or reject names. */
export interface PulseSettleInput {
  decisionId: string;
  isReject: boolean;
  /** 1-based moves; absent: every held move. */
  only?: number[];
}

/** The pulse's reads and actions for the dashboard. */
export interface DashboardPulse {
  /** The status, as `bosun _ state` prints it. */
  readState(): Promise<DashboardPulseState>;
  /** Approves or rejects held moves and runs the approved ones; the decision as it ends. */
  settle(input: PulseSettleInput): Promise<PulseDecisionRecord>;
}

/** What the pulse's part of the dashboard needs. */
export interface DashboardPulseOptions {
  paths: BosunPaths;
  getConfig: () => Promise<Config>;
  /** Aborted when the dashboard closes: a move under way is stopped as the daemon's would be. */
  signal: AbortSignal;
  /** The pulse's world for an approval; by default this repository with the real agents. */
  getPulseEnv?: () => Promise<PulseEnv>;
}

/** Creates the dashboard's pulse reads and actions. */
export function createDashboardPulse(options: DashboardPulseOptions): DashboardPulse {
  const { paths } = options;
  const getEnv =
    options.getPulseEnv ??
    (async (): Promise<PulseEnv> => ({
      repoRoot: paths.root,
      paths,
      config: await options.getConfig(),
      // The CLI that started this dashboard starts the runs and workers an approved move asks for.
      cliPath: path.resolve(process.argv[1] ?? "bosun"),
      runner: dispatch,
      now: Date.now,
      signal: options.signal,
      log: (line) => process.stderr.write(`pulse: ${line}\n`),
    }));
  return {
    readState: async () => {
      if (!existsSync(paths.pulse.dir)) return { contract: 1, state: null };
      const config = await options.getConfig();
      return { contract: 1, state: await readPulseStatus({ paths, config, now: Date.now }) };
    },
    settle: async (input) => {
      if (!isSafeId(input.decisionId))
        throw new UsageError(`Invalid decision id ${JSON.stringify(input.decisionId)}: ids only.`);
      const env = await getEnv();
      return withBeatLock(env, () =>
        settleHeldActions(env, {
          decisionId: input.decisionId,
          isReject: input.isReject,
          ...(input.only === undefined ? {} : { only: input.only }),
          by: DASHBOARD_SOURCE,
        }),
      );
    },
  };
}

/**
 * A request's `only`: absent, or a non-empty list of move numbers (whole numbers ≥ 1); anything
 * else is a UsageError saying what to send.
 */
export function parseOnlyMoves(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((item) => typeof item === "number" && Number.isInteger(item) && item >= 1)
  )
    throw new UsageError(
      '"only" must be a list of move numbers (1 is the first move), such as [1, 3], or left out for every held move.',
    );
  return value.map(Number);
}
