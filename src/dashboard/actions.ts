/**
 * What the dashboard does to runs, through the functions the CLI verbs call: answer an ask (and
 * continue its run in this process), stop a run, approve a plan, tell a worker. Runs it
 * continues are tracked so a stop from the page, or the dashboard's own shutdown, ends them
 * cleanly.
 */
import { StateError, UsageError, getErrorMessage } from "../errors.js";
import type { BosunEvent, BosunEventListener } from "../flows/events.js";
import { recordAnswer } from "../flows/human-actions.js";
import { resumeRun, type FlowOutcome } from "../flows/registry.js";
import { approvePlan } from "../flows/run-control.js";
import { stopRun } from "../flows/stop-run.js";
import { tellWorker, type TellOutcome } from "../flows/tell.js";
import { readAsk } from "../human/asks.js";
import { isSafeId, type BosunPaths } from "../store/paths.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import type { Answer } from "../store/schema/asks.js";
import type { Config } from "../store/schema/config.js";
import type { RunStatus } from "../store/schema/run.js";
import { readRunOrThrow } from "./data.js";

/** The channel name answers from the page are recorded with. */
export const DASHBOARD_SOURCE = "dashboard";

/** What an answer from the page did. */
export interface AnswerOutcome {
  /** The answer as recorded. */
  answer: Answer;
  /** The run that asked. */
  runId: string;
  /** True when this process continues the run now. */
  isContinuing: boolean;
  /** What happens next, for the page to show. */
  message: string;
}

/** What a stop from the page did. */
export interface StopActionOutcome {
  /** True when a process (this one or another) was driving the run and stopped. */
  wasRunning: boolean;
  /** The run's status after the stop. */
  status: RunStatus | undefined;
}

/** The actions, and the runs they continue. */
export interface DashboardActions {
  /** Records an answer; continues its run here unless another process drives it. */
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

/** A run this process continues. */
interface DrivenRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/** Creates the dashboard's actions. */
export function createDashboardActions(options: DashboardActionsOptions): DashboardActions {
  const { paths } = options;
  const driven = new Map<string, DrivenRun>();

  /** Continues the run in the background; the HTTP reply does not wait for the run to stop. */
  const drive = (runId: string, start: (signal: AbortSignal) => Promise<FlowOutcome>): void => {
    const controller = new AbortController();
    const done = start(controller.signal).then(
      () => undefined,
      (error: unknown) => {
        options.onRunError?.(runId, error);
        const event: BosunEvent = {
          type: "warning",
          runId,
          message: `The dashboard could not continue run ${runId}: ${getErrorMessage(error)}`,
        };
        options.onEvent(event);
      },
    );
    const entry: DrivenRun = { controller, done };
    driven.set(runId, entry);
    void done.finally(() => {
      if (driven.get(runId) === entry) driven.delete(runId);
    });
  };

  /** Throws when a run is already being driven, here or by another live process. */
  const readDriver = async (runId: string): Promise<"here" | number | undefined> => {
    if (driven.has(runId)) return "here";
    return readLiveLockHolder(paths.lockFile(runId));
  };

  return {
    answer: async (input) => {
      if (!isSafeId(input.askId))
        throw new UsageError(`Invalid ask id ${JSON.stringify(input.askId)}: ids only.`);
      // Read first: an unknown ask is a clear error before anything is written.
      const { ask } = await readAsk(paths, input.askId);
      const driver = await readDriver(ask.runId);
      // Recorded apart from the resume (answerAndContinue does both and settles only when the
      // run stops again): the page hears at once whether the answer was taken.
      const { answer, runId } = await recordAnswer(paths, {
        askId: input.askId,
        answer: input.answer,
        ...(input.note === undefined || input.note === "" ? {} : { note: input.note }),
        source: DASHBOARD_SOURCE,
      });
      if (driver !== undefined) {
        const who = driver === "here" ? "this dashboard" : `process ${driver}`;
        return {
          answer,
          runId,
          isContinuing: false,
          message: `Recorded. Run ${runId} is being driven by ${who}; it takes the answer when it reaches it, or on its next resume.`,
        };
      }
      const config = await options.getConfig();
      drive(runId, (signal) =>
        resumeRun({ paths, config, runId, signal, onEvent: options.onEvent }),
      );
      return { answer, runId, isContinuing: true, message: `Recorded; run ${runId} continues.` };
    },

    stop: async (runId) => {
      await readRunOrThrow(paths, runId);
      const here = driven.get(runId);
      if (here !== undefined) {
        here.controller.abort();
        await here.done;
        return { wasRunning: true, status: (await readRunOrThrow(paths, runId)).status };
      }
      const stopped = await stopRun(paths, runId);
      if (stopped.kind === "not_running")
        return { wasRunning: false, status: (await readRunOrThrow(paths, runId)).status };
      return { wasRunning: true, status: stopped.run?.status };
    },

    approve: async (runId) => {
      await readRunOrThrow(paths, runId);
      const driver = await readDriver(runId);
      if (driver !== undefined)
        throw new StateError(
          `Run ${runId} is already being driven (${driver === "here" ? "by this dashboard" : `by process ${driver}`}); stop it first.`,
        );
      await approvePlan(paths, runId, { source: DASHBOARD_SOURCE });
      const config = await options.getConfig();
      drive(runId, (signal) =>
        resumeRun({ paths, config, runId, signal, onEvent: options.onEvent }),
      );
      return { runId, isContinuing: true };
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

    listDrivenRunIds: () => [...driven.keys()],

    close: async () => {
      const all = [...driven.values()];
      for (const run of all) run.controller.abort();
      await Promise.all(all.map((run) => run.done));
    },
  };
}
