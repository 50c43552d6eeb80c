/**
 * The flow registry: what every surface (the CLI now; the TUI, dashboard and machine contract
 * later) calls to act on a run without knowing which flow runs it. Resuming, answering and the
 * resume command a message should print all dispatch on the run's flow here, once.
 */
import { StateError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import type { Config } from "../store/schema/config.js";
import type { Run } from "../store/schema/run.js";
import type { BosunEventListener } from "./events.js";
import { resumeReview } from "./review.js";
import { resumePipeline } from "./pipeline/pipeline-run.js";
import { resumeTeamRun } from "./team/team-run.js";

/** How a flow call ended. */
export interface FlowOutcome {
  /** The run. */
  run: Run;
  /** True when the process stopped with the run unfinished. */
  isPaused: boolean;
}

/** What resuming any run needs. */
export interface ResumeRunOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** The run. */
  runId: string;
  /** Cancels the run's agents. */
  signal?: AbortSignal;
  /** Event subscriber. */
  onEvent: BosunEventListener;
}

export { getResumeCommand } from "./resume-command.js";

/** Resumes a run by its flow (after a crash, a stop, or once a human answered its ask). */
export async function resumeRun(options: ResumeRunOptions): Promise<FlowOutcome> {
  const run = await readRun(options.paths, options.runId);
  if (run === null)
    throw new StateError(`Run ${options.runId} has no run.json; resume it with its own command.`);
  switch (run.flow) {
    case "review":
      return resumeReview(options);
    case "team":
      return resumeTeamRun(options);
    case "pipeline":
      return resumePipeline(options);
  }
}
