/**
 * The monitor's live source and actions for one run: the journal followed from its start
 * (event-driven, `followRunEvents`), the selected agent's `agent.log` followed the same way, the
 * ask files and plan read once when the journal names them, and every action taken through the
 * functions the CLI verbs call (`stopRun`), an answer through the process's run host, which
 * decides whether the run continues in this monitor.
 */
import { findHarnessLineParser } from "../agents/line-parsers.js";
import { getErrorMessage } from "../errors.js";
import type { BosunEventListener } from "../flows/events.js";
import { getResumeCommand } from "../flows/registry.js";
import { createRunHost } from "../flows/run-host.js";
import { stopRun } from "../flows/stop-run.js";
import { tellWorker } from "../flows/tell.js";
import { readAsk } from "../human/asks.js";
import { isProcessAlive } from "../proc/liveness.js";
import { followLogLines } from "../store/follow-log.js";
import { followRunEvents } from "../store/follow.js";
import { readJson } from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { readLiveLockHolder } from "../store/run-lock.js";
import type { Config } from "../store/schema/config.js";
import type { RunEvent } from "../store/schema/events.js";
import { PlanSchema } from "../store/schema/plan.js";
import type { MonitorController } from "./monitor-app.js";
import {
  appendTail,
  applyJournalEvent,
  applyLiveEvent,
  clearTail,
  createMonitorModel,
  formatAgentOutput,
  selectAgent,
  type AgentLane,
} from "./monitor-model.js";

/** What the monitor's source needs. */
export interface MonitorSourceOptions {
  /** The repository's paths. */
  paths: BosunPaths;
  /** The run. */
  runId: string;
  /** The resolved config, loaded when first needed (a resume, an agent's output parser). */
  loadConfig: () => Promise<Config>;
  /** Aborts whatever the monitor runs (main()'s stop signal). */
  signal: AbortSignal;
  /** Every event of a run the monitor continues (the command's bus: notifications). */
  onEvent?: BosunEventListener;
}

/**
 * How often a live holder's pid is probed: a holder killed with -9 records nothing, so only this
 * tells the view to turn read-only (signal 0 and /proc/<pid>/stat; no file of the run is read).
 */
const HOLDER_PROBE_MS = 1000;

/** Starts following the run; the controller's `close()` ends it all. */
export function startMonitorSource(options: MonitorSourceOptions): MonitorController {
  const { paths, runId } = options;
  const model = createMonitorModel(runId);
  const listeners = new Set<() => void>();
  const follow = new AbortController();
  let isNotifyQueued = false;
  // Many events can land in one read: the screen is told once per batch.
  const notify = (): void => {
    if (isNotifyQueued) return;
    isNotifyQueued = true;
    setImmediate(() => {
      isNotifyQueued = false;
      for (const listener of listeners) listener();
    });
  };
  const report = (message: string): void => {
    model.message = message;
    model.version += 1;
    notify();
  };
  let config: Promise<Config> | undefined;
  const getConfig = (): Promise<Config> => (config ??= options.loadConfig());

  // Runs continued in this process, after an answer: the monitor's one host.
  const host = createRunHost({
    paths,
    getConfig,
    onEvent: (event) => {
      applyLiveEvent(model, event);
      options.onEvent?.(event);
      notify();
    },
    onDriveEnded: (_runId, end) => {
      report(
        end.type === "failed"
          ? getErrorMessage(end.error)
          : end.outcome.isPaused
            ? `the run is paused; continue it with ${getResumeCommand(end.outcome.run.flow, runId)}`
            : `the run stopped: ${end.outcome.run.status}`,
      );
      void refreshProcess().catch(() => undefined);
    },
  });
  let probe: NodeJS.Timeout | undefined;
  const refreshProcess = async (): Promise<void> => {
    if (host.isDrivenHere(runId)) model.process = { kind: "this" };
    else {
      const pid = await readLiveLockHolder(paths.lockFile(runId));
      model.process = pid === undefined ? { kind: "none" } : { kind: "other", pid };
    }
    // Probed only while another process holds the run.
    if (model.process.kind === "other" && probe === undefined) {
      probe = setInterval(() => {
        if (model.process.kind === "other" && !isProcessAlive(model.process.pid))
          void refreshProcess();
      }, HOLDER_PROBE_MS);
      probe.unref();
    } else if (model.process.kind !== "other" && probe !== undefined) {
      clearInterval(probe);
      probe = undefined;
    }
    model.version += 1;
    notify();
  };

  const tail = createTailFollower(options, model, getConfig, notify, report);

  const onJournalEvent = (event: RunEvent): void => {
    switch (event.type) {
      case "ask.created":
        void readAsk(paths, event.askId).then(
          ({ ask }) => {
            const open = model.asks.get(event.askId);
            if (open !== undefined) open.options = ask.options;
            model.version += 1;
            notify();
          },
          (error: unknown) => report(getErrorMessage(error)),
        );
        break;
      case "plan.created":
        void readJson(paths.planFile(runId), PlanSchema).then(
          (plan) => {
            if (plan !== null) {
              model.planTasks = plan.tasks;
              model.version += 1;
              notify();
            }
          },
          (error: unknown) => report(getErrorMessage(error)),
        );
        break;
      case "run.created":
      case "run.resumed":
      case "run.paused":
      case "run.completed":
        void refreshProcess().catch((error: unknown) => report(getErrorMessage(error)));
        break;
      case "dispatch.started":
        tail.update();
        break;
      default:
        break;
    }
  };

  void (async () => {
    try {
      for await (const event of followRunEvents(paths, runId, { signal: follow.signal })) {
        applyJournalEvent(model, event);
        onJournalEvent(event);
        notify();
      }
    } catch (error) {
      report(`Stopped following the run: ${getErrorMessage(error)}`);
    }
  })();
  const onStop = (): void => void close();
  options.signal.addEventListener("abort", onStop);

  let isClosed = false;
  const close = async (): Promise<void> => {
    if (!isClosed) {
      isClosed = true;
      options.signal.removeEventListener("abort", onStop);
      follow.abort();
      tail.close();
      if (probe !== undefined) clearInterval(probe);
    }
    // A run continued here is paused, and waited for, on every call.
    await host.close();
  };

  return {
    model,
    subscribe: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    selectAgent: (key) => {
      selectAgent(model, key);
      tail.update();
      notify();
    },
    answer: async (askId, answer) => {
      const outcome = await host.answerAndMaybeContinue({ askId, answer, source: "monitor" });
      report(
        `answered ${askId}: ${answer}. ${outcome.message}${outcome.isContinuing ? " (s stops it)" : ""}`,
      );
      await refreshProcess();
    },
    tell: async (taskId, text) => {
      const told = await tellWorker(paths, {
        runId,
        ...(taskId === undefined ? {} : { taskId }),
        text,
        source: "monitor",
      });
      report(told.message);
    },
    stop: async () => {
      // The monitor's own run: paused here; the drive's end says so.
      if (await host.stop(runId, "monitor")) return;
      const result = await stopRun(paths, runId, { by: "monitor" });
      report(
        result.kind === "not_running"
          ? "the run is not running (no live process holds it)"
          : `stopped: the run is ${result.run?.status ?? "stopped"}`,
      );
      await refreshProcess();
    },
    close,
  };
}

/** Follows the selected agent's `agent.log`, restarting as the selection or its attempt changes. */
function createTailFollower(
  options: MonitorSourceOptions,
  model: ReturnType<typeof createMonitorModel>,
  getConfig: () => Promise<Config>,
  notify: () => void,
  report: (message: string) => void,
): { update(): void; close(): void } {
  let current: { id: string; abort: AbortController } | undefined;
  const stopCurrent = (): void => {
    current?.abort.abort();
    current = undefined;
  };
  return {
    update() {
      const key = model.selectedAgentKey;
      const lane = key === undefined ? undefined : model.agentsByKey.get(key);
      if (lane === undefined) return;
      const id = `${lane.key}#${lane.round}.${lane.attempt}`;
      if (current?.id === id) return;
      stopCurrent();
      clearTail(model);
      const abort = new AbortController();
      current = { id, abort };
      void followLane(options, lane, abort.signal, getConfig, (lines) => {
        appendTail(model, lines);
        notify();
      }).catch((error: unknown) => report(getErrorMessage(error)));
    },
    close: stopCurrent,
  };
}

/** Follows one dispatch's agent.log, each line turned into a line of the tail. */
async function followLane(
  options: MonitorSourceOptions,
  lane: AgentLane,
  signal: AbortSignal,
  getConfig: () => Promise<Config>,
  onLines: (lines: string[]) => void,
): Promise<void> {
  const dir = options.paths.attemptDir(
    options.runId,
    lane.taskId,
    lane.round,
    lane.seat,
    lane.attempt,
    lane.phase,
  );
  // A config that no longer loads still leaves the log worth showing, unparsed.
  const parse = await getConfig().then(
    (config) => findHarnessLineParser(lane.harness, config.agents),
    () => undefined,
  );
  for await (const batch of followLogLines(`${dir}/agent.log`, { signal })) {
    const lines: string[] = [];
    for (const raw of batch) {
      if (parse === undefined) lines.push(raw);
      else
        for (const event of parse(raw)) {
          const line = formatAgentOutput(event);
          if (line !== undefined) lines.push(line);
        }
    }
    if (lines.length > 0) onLines(lines);
  }
}

/** The harness's stdout parser; undefined (raw lines) when the harness is not known here. */
