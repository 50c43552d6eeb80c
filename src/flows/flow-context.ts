/** What every step of a running flow shares: where to write, config, options, and how to record. */
import type { BosunPaths } from "../store/paths.js";
import type { Config } from "../store/schema/config.js";
import type { RunEvent, RunEventInput } from "../store/schema/events.js";
import type { ReviewOptions } from "../store/schema/run.js";
import type { BosunEvent } from "./events.js";

/** Shared state of one flow run. */
export interface FlowContext {
  /** Paths of the repository. */
  paths: BosunPaths;
  /** Resolved config. */
  config: Config;
  /** Run id. */
  runId: string;
  /** Task id. */
  taskId: string;
  /** Options fixed at start (maxRounds as raised by humans). */
  readonly options: ReviewOptions;
  /** Events so far. */
  readonly events: readonly RunEvent[];
  /** Cancels agents and waits. */
  signal?: AbortSignal;
  /** Appends an event durably, then tells subscribers. */
  record(event: RunEventInput): Promise<RunEvent>;
  /** Tells subscribers something live (not persisted). */
  emit(event: BosunEvent): void;
}
