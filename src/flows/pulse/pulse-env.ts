/**
 * What every step of the pulse works with: the repository, its config, the clock, the one way
 * an agent is run and the one way bosun starts itself again (for runs and workers it leaves
 * running). A test passes its own clock and agent runner; nothing else differs.
 */
import type { AgentRunner } from "../../agents/dispatch.js";
import type { BosunPaths } from "../../store/paths.js";
import type { Config } from "../../store/schema/config.js";

/** The pulse's world of work. */
export interface PulseEnv {
  /** The repository root (sensors, commands and the brain run here). */
  repoRoot: string;
  paths: BosunPaths;
  config: Config;
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
