/**
 * The runs one process continues on a human's behalf (the dashboard, the terminal monitor), and
 * the one rule they follow: an answer or an approval continues its run in this process unless a
 * process already drives it. Surfaces create one host per process and never decide this themselves.
 */
import { StateError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-read.js";
import { PULSE_ASK_RUN_ID } from "../store/schema/asks.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import type { Answer } from "../store/schema/asks.js";
import type { Config } from "../store/schema/config.js";
import type { StopRequester } from "../store/schema/stop-request.js";
import type { BosunEventListener } from "./events.js";
import { recordAnswer, type AnswerInput } from "./human-actions.js";
import {
  getResumeCommand,
  resumeRun,
  type FlowOutcome,
  type ResumeRunOptions,
} from "./registry.js";
import { approvePlan } from "./run-control.js";
import { StopRequestedError } from "./stop-channel.js";

/** How a drive in this process ended. */
export type DriveEnd =
  /** The flow returned: the run finished, stopped for a human, or paused (a stop). */
  | { type: "stopped"; outcome: FlowOutcome }
  /** The flow threw; the run stays resumable. */
  | { type: "failed"; error: unknown };

/** What an answer did. */
export interface HostAnswerOutcome {
  /** The answer as recorded. */
  answer: Answer;
  /** The run that asked. */
  runId: string;
  /** True when this process started continuing the run just now. */
  isContinuing: boolean;
  /** What happens next, in words (the same from every surface). */
  message: string;
}

/** What the host needs. */
export interface RunHostOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** The resolved config, loaded when a run is first continued here. */
  getConfig: () => Promise<Config>;
  /** Every event of the runs continued here (journaled and live ones): printers, notifications. */
  onEvent: BosunEventListener;
  /**
   * A run continued here stopped or failed (after any drive again for answers given meanwhile);
   * called once the run is no longer tracked as driven here.
   */
  onDriveEnded?: (runId: string, end: DriveEnd) => void;
  /** Test seam: how a run is continued (default `resumeRun`, which dispatches on its flow). */
  resume?: (options: ResumeRunOptions) => Promise<FlowOutcome>;
}

/** The runs this process drives, and the actions that may start one. */
export interface RunHost {
  /** Records an answer; continues its run here unless a process (this one too) already drives it. */
  answerAndMaybeContinue(input: AnswerInput): Promise<HostAnswerOutcome>;
  /** Approves a team run's plan and continues the run here; refused while any process drives it. */
  approveAndContinue(runId: string, source: string): Promise<{ runId: string; isContinuing: true }>;
  /** True while this process drives the run (from the moment it decided to). */
  isDrivenHere(runId: string): boolean;
  /** Runs this process drives now. */
  listDrivenRunIds(): string[];
  /**
   * Stops a run this process drives and waits until it has recorded its pause (a stop requested
   * `by` that surface); false when this process does not drive it (the caller then asks the run's
   * own process: `stopRun`).
   */
  stop(runId: string, by?: StopRequester): Promise<boolean>;
  /** Stops every run driven here and waits for each; later answers are only recorded. */
  close(): Promise<void>;
}

/** A run this process drives. */
interface Drive {
  readonly controller: AbortController;
  /** Settles once the drive is over and the run is no longer tracked. */
  readonly done: Promise<void>;
  /** An answer for the run was recorded since its current drive started. */
  hasNewAnswer: boolean;
}

/** Creates the host; one per process. */
export function createRunHost(options: RunHostOptions): RunHost {
  const { paths } = options;
  const resume = options.resume ?? resumeRun;
  const drives = new Map<string, Drive>();
  let isClosed = false;

  /**
   * Takes the run for this process. Synchronous with the caller's `drives.has` check, so two
   * actions at once can never both start it; every await comes after.
   */
  const claim = (runId: string): { drive: Drive; release: () => void } => {
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const drive: Drive = { controller: new AbortController(), done, hasNewAnswer: false };
    drives.set(runId, drive);
    const release = (): void => {
      if (drives.get(runId) === drive) drives.delete(runId);
      settle();
    };
    return { drive, release };
  };

  /**
   * Drives the run until it stops; again when an answer came in meanwhile and the run stopped
   * for a human anyway (a flow takes answers when a drive starts, so it may not have seen it).
   */
  const runDrive = async (
    runId: string,
    drive: Drive,
    config: Config,
    release: () => void,
  ): Promise<void> => {
    const { signal } = drive.controller;
    let end: DriveEnd | undefined;
    try {
      for (;;) {
        // Stopped before it started (a stop or close while the config loaded): nothing to pause.
        if (signal.aborted) return;
        drive.hasNewAnswer = false;
        let outcome: FlowOutcome;
        try {
          outcome = await resume({ paths, config, runId, signal, onEvent: options.onEvent });
        } catch (error) {
          end = { type: "failed", error };
          return;
        }
        const isAgain =
          drive.hasNewAnswer &&
          !signal.aborted &&
          !outcome.isPaused &&
          outcome.run.id === runId &&
          outcome.run.status === "needs_human";
        if (!isAgain) {
          end = { type: "stopped", outcome };
          return;
        }
      }
    } finally {
      // Untracked first, so whoever hears of the end sees the run as no longer driven here.
      release();
      if (end !== undefined) options.onDriveEnded?.(runId, end);
    }
  };

  /** The live process other than a drive of this host that holds the run, if any. */
  const readOtherHolder = (runId: string): Promise<number | undefined> =>
    readLiveLockHolder(paths.lockFile(runId));

  const readResumeCommand = async (runId: string): Promise<string> =>
    getResumeCommand((await readRun(paths, runId))?.flow ?? "review", runId);

  return {
    answerAndMaybeContinue: async (input) => {
      const { answer, runId } = await recordAnswer(paths, input);
      const result = (isContinuing: boolean, message: string): HostAnswerOutcome => ({
        answer,
        runId,
        isContinuing,
        message,
      });
      // The pulse's asks belong to no run: its daemon wakes on the answer.
      if (runId === PULSE_ASK_RUN_ID)
        return result(false, "Recorded; the pulse takes it at its next beat.");
      if (isClosed)
        return result(
          false,
          `Recorded. Continue run ${runId} with: ${await readResumeCommand(runId)}`,
        );
      const current = drives.get(runId);
      if (current !== undefined) {
        current.hasNewAnswer = true;
        return result(false, `Recorded; run ${runId} runs in this process and takes the answer.`);
      }
      const { drive, release } = claim(runId);
      let config: Config;
      try {
        const pid = await readOtherHolder(runId);
        if (pid !== undefined) {
          release();
          return result(
            false,
            `Recorded. Run ${runId} is driven by process ${pid}: it takes the answer when it reaches it, or else the run's next resume does (${await readResumeCommand(runId)}).`,
          );
        }
        config = await options.getConfig();
      } catch (error) {
        release();
        throw error;
      }
      void runDrive(runId, drive, config, release);
      return result(true, `Recorded; run ${runId} continues in this process.`);
    },

    approveAndContinue: async (runId, source) => {
      if (isClosed)
        throw new StateError(
          `Run ${runId} was not approved: this process is shutting down. Approve it with "bosun approve ${runId}".`,
        );
      if (drives.has(runId))
        throw new StateError(
          `Run ${runId} is already being driven (by this process); stop it first.`,
        );
      const { drive, release } = claim(runId);
      let config: Config;
      try {
        const pid = await readOtherHolder(runId);
        if (pid !== undefined)
          throw new StateError(
            `Run ${runId} is already being driven (by process ${pid}); stop it first.`,
          );
        await approvePlan(paths, runId, { source });
        config = await options.getConfig();
      } catch (error) {
        release();
        throw error;
      }
      void runDrive(runId, drive, config, release);
      return { runId, isContinuing: true };
    },

    isDrivenHere: (runId) => drives.has(runId),

    listDrivenRunIds: () => [...drives.keys()],

    stop: async (runId, by) => {
      const drive = drives.get(runId);
      if (drive === undefined) return false;
      drive.controller.abort(new StopRequestedError(by));
      await drive.done;
      return true;
    },

    close: async () => {
      isClosed = true;
      const all = [...drives.values()];
      for (const drive of all) drive.controller.abort();
      await Promise.all(all.map((drive) => drive.done));
    },
  };
}
