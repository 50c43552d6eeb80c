/**
 * What every step of the pulse works with: the repository, its config, the clock, the one way
 * an agent is run and the one way bosun starts itself again (for runs and workers it leaves
 * running). A test passes its own clock and agent runner; nothing else differs.
 */
import type { AgentRunner } from "../../agents/dispatch.js";
import type { BosunPaths } from "../../store/paths.js";
import type { Config } from "../../store/schema/config.js";

/**
 * Env vars that mark a process the pulse started — its brain's CLI, a sensor, a move's command, a
 * worker's agent — and everything they run. Approving, rejecting and answering refuse a command
 * carrying one: only a human settles what the loop holds for a human.
 */
export const PULSE_PROCESS_VARS = {
  brain: "BOSUN_PULSE_BRAIN",
  sensor: "BOSUN_PULSE_SENSOR",
  move: "BOSUN_PULSE_MOVE",
  worker: "BOSUN_WORKER_ID",
} as const;

/** The pulse's world of work. */
export interface PulseEnv {
  /** The repository root (sensors, commands and the brain run here). */
  repoRoot: string;
  paths: BosunPaths;
  /** Read again before each of the daemon's beats when `loadConfig` is given. */
  config: Config;
  /** Loads the config afresh (the daemon calls it before each beat). */
  loadConfig?: () => Promise<Config>;
  /** bosun's own CLI script (`dist/cli.js`), to start runs and workers as a human would. */
  cliPath: string;
  /** How the brain's call is made (`dispatch`, or a test's fake). */
  runner: AgentRunner;
  /** ms since the epoch. */
  now(): number;
  /** The daemon going down: sensors, the brain and commands stop. */
  signal?: AbortSignal;
  /** One line of progress (the daemon's log, a terminal). */
  log(line: string): void;
}
