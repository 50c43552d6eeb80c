/**
 * What the dashboard does to runs, through the functions the CLI verbs call: answer an ask (and
 * continue its run in this process), stop a run, approve a plan, tell a worker. The runs it
 * continues are the run host's (`flows/run-host.ts`), so a stop from the page, or the
 * dashboard's own shutdown, ends them cleanly.
 */
import { UsageError, getErrorMessage } from "../errors.js";
import type { BosunEventListener } from "../flows/events.js";
import { createRunHost, type HostAnswerOutcome } from "../flows/run-host.js";
import { stopRun } from "../flows/stop-run.js";
import { tellWorker, type TellOutcome } from "../flows/tell.js";
import { isSafeId, type BosunPaths } from "../store/paths.js";
import type { Config } from "../store/schema/config.js";
import type { RunStatus } from "../store/schema/run.js";
import { readRunOrThrow } from "./data.js";

/** The channel name answers from the page are recorded with. */
export const DASHBOARD_SOURCE = "dashboard";

/** What an answer from the page did (the run host's outcome, as the page gets it). */
export type AnswerOutcome = HostAnswerOutcome;

/** What a stop from the page did. */
export interface StopActionOutcome {
  /** True when a process (this one or another) was driving the run and stopped. */
  wasRunning: boolean;
  /** The run's status after the stop. */
  status: RunStatus | undefined;
}

/** The actions, and the runs they continue. */
export interface DashboardActions {
  /** Records an answer; continues its run here unless a process already drives it (`RunHost`). */
  answer(input: { askId: string; answer: string; note?: string }): Promise<AnswerOutcome>;
  /** Stops the run, whichever process drives it. */
  stop(runId: string): Promise<StopActionOutcome>;
  /** Approves a team run's plan and continues the run here. */
  approve(runId: string): Promise<{ runId: string; isContinuing: true }>;
  /** Tells a run's worker something (as `bosun tell`): delivered with its next worker prompt. */
  tell(input: { runId: string; taskId?: string; text: string }): Promise<TellOutcome>;
  /** Runs this process drives now. */
  listDrivenRunIds(): string[];
  /** Stops every run this process drives and waits until each has recorded its pause. */
  close(): Promise<void>;
}

/** What the actions need. */
export interface DashboardActionsOptions {
  /** Repository paths. */
  paths: BosunPaths;
  /** The resolved config, loaded when a run is first continued here. */
  getConfig: () => Promise<Config>;
  /** Every event of the runs continued here (journaled and live ones). */
  onEvent: BosunEventListener;
  /** A continued run ended with an error (the page hears it as a warning event too). */
  onRunError?: (runId: string, error: unknown) => void;
}

/** Creates the dashboard's actions. */
export function createDashboardActions(options: DashboardActionsOptions): DashboardActions {
  const { paths } = options;
  const host = createRunHost({
    paths,
    getConfig: options.getConfig,
    onEvent: options.onEvent,
    onDriveEnded: (runId, end) => {
      if (end.type !== "failed") return;
      options.onRunError?.(runId, end.error);
      options.onEvent({
        type: "warning",
        runId,
        message: `The dashboard could not continue run ${runId}: ${getErrorMessage(end.error)}`,
      });
    },
  });

  return {
    answer: async (input) => {
      if (!isSafeId(input.askId))
        throw new UsageError(`Invalid ask id ${JSON.stringify(input.askId)}: ids only.`);
      // Recorded and, unless a process drives the run, continued in the background: the page
      // hears at once whether the answer was taken, not when the run stops again.
      return host.answerAndMaybeContinue({
        askId: input.askId,
        answer: input.answer,
        ...(input.note === undefined || input.note === "" ? {} : { note: input.note }),
        source: DASHBOARD_SOURCE,
      });
    },

    stop: async (runId) => {
      await readRunOrThrow(paths, runId);
      if (await host.stop(runId, "dashboard"))
        return { wasRunning: true, status: (await readRunOrThrow(paths, runId)).status };
      const stopped = await stopRun(paths, runId, { by: "dashboard" });
      if (stopped.kind === "not_running")
        return { wasRunning: false, status: (await readRunOrThrow(paths, runId)).status };
      return { wasRunning: true, status: stopped.run?.status };
    },

    approve: async (runId) => {
      await readRunOrThrow(paths, runId);
      return host.approveAndContinue(runId, DASHBOARD_SOURCE);
    },

    tell: async (input) => {
      // Read first: a run that is not there is a 404, like the other actions on a run.
      await readRunOrThrow(paths, input.runId);
      return tellWorker(paths, {
        runId: input.runId,
        ...(input.taskId === undefined ? {} : { taskId: input.taskId }),
        text: input.text,
        source: DASHBOARD_SOURCE,
      });
    },

    listDrivenRunIds: () => host.listDrivenRunIds(),

    close: () => host.close(),
  };
}
