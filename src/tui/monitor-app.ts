/**
 * The terminal monitor's screen and keys. It draws the model a `MonitorController` keeps live
 * and calls the controller for every action (answer, approve, stop, quit), so the keys are
 * tested with a fake controller and the real one acts through the functions the CLI verbs call.
 */
import { Box, useApp, type Key } from "ink";
import {
  createElement as h,
  useEffect,
  useState,
  useSyncExternalStore,
  type ReactElement,
} from "react";
import { getAnswerKeyAction } from "./answer-keys.js";
import type { MonitorModel, OpenAsk } from "./monitor-model.js";
import {
  AgentsPanel,
  AnswerPrompt,
  AsksPanel,
  BoardPanel,
  Header,
  HelpPanel,
  Line,
  NARROW_COLUMNS,
  TailPanel,
  TellPrompt,
  TimelinePanel,
  getShownLanes,
} from "./monitor-view.js";
import type { Theme } from "./theme.js";
import { useKeys } from "./use-keys.js";
import { useWindowSize } from "./window-size.js";

/** What the monitor's screen needs from whoever keeps the model live and acts on the run. */
export interface MonitorController {
  /** The model, updated in place; `model.version` says it changed. */
  readonly model: MonitorModel;
  /** Calls `onChange` after the model changed; returns the unsubscribe. */
  readonly subscribe: (onChange: () => void) => () => void;
  /** The human selected another agent: follow its output. */
  selectAgent(key: string): void;
  /** Answers an ask of the run (and continues the run, when no process is working on it). */
  answer(askId: string, answer: string): Promise<void>;
  /**
   * Tells the worker of `taskId` (undefined: the run's next worker) something, as `bosun tell`
   * does; the run's process delivers it with that worker's next prompt.
   */
  tell(taskId: string | undefined, text: string): Promise<void>;
  /** Stops the run (the one resumed here, or another process's). */
  stop(): Promise<void>;
  /** Ends what the controller runs (a run resumed here is paused first). */
  close(): Promise<void>;
}

/** The screen's modes. */
type Mode =
  | { kind: "main" }
  | { kind: "help" }
  | { kind: "answer"; askId: string; typed: string }
  | { kind: "tell"; taskId: string | undefined; typed: string }
  | { kind: "confirm-stop" };

/** Fixed rows: header (3), the panels' titles (5), the status line (1). */
const FIXED_ROWS = 9;

/** The monitor. `columns` and `rows` override the terminal's (tests). */
export function MonitorApp(props: {
  controller: MonitorController;
  theme: Theme;
  columns?: number;
  rows?: number;
}): ReactElement {
  const { controller, theme } = props;
  const { exit } = useApp();
  const size = useWindowSize();
  const columns = props.columns ?? size.columns;
  const rows = props.rows ?? (size.rows > 0 ? size.rows : 24);
  useSyncExternalStore(controller.subscribe, () => controller.model.version);
  const model = controller.model;
  const nowMs = useNowMs();
  const [mode, setMode] = useState<Mode>({ kind: "main" });
  const [askIndex, setAskIndex] = useState(0);
  const [notice, setNotice] = useState<string | undefined>();
  const asks = [...model.asks.values()];
  const selectedAsk = asks[Math.min(askIndex, asks.length - 1)];
  const isNarrow = columns < NARROW_COLUMNS;

  // Actions run in the background; their outcome lands in the model's message or here.
  const act = (what: Promise<void>): void => {
    what.catch((error: unknown) =>
      setNotice(error instanceof Error ? error.message : String(error)),
    );
  };
  const quit = (): void => {
    setNotice("quitting…");
    act(controller.close().then(() => exit()));
  };

  useKeys((input: string, key: Key) => {
    switch (mode.kind) {
      case "help":
        if (input === "?" || key.escape || input === "q") setMode({ kind: "main" });
        return;
      case "confirm-stop":
        setMode({ kind: "main" });
        if (input === "y") {
          setNotice("stopping the run…");
          act(controller.stop());
        } else setNotice("not stopped");
        return;
      case "answer":
        handleAnswerKey(input, key, mode);
        return;
      case "tell":
        handleTellKey(input, key, mode);
        return;
      case "main":
        handleMainKey(input, key);
        return;
    }
  });

  function handleMainKey(input: string, key: Key): void {
    setNotice(undefined);
    if (input === "q") quit();
    else if (input === "?") setMode({ kind: "help" });
    else if (input === "j" || input === "k" || key.downArrow || key.upArrow) {
      const lanes = getShownLanes(model, Math.max(1, rows));
      const at = lanes.findIndex((lane) => lane.key === model.selectedAgentKey);
      const step = input === "j" || key.downArrow ? 1 : -1;
      const next = lanes[(at + step + lanes.length) % Math.max(1, lanes.length)];
      if (next !== undefined) controller.selectAgent(next.key);
    } else if (key.tab) setAskIndex(asks.length === 0 ? 0 : (askIndex + 1) % asks.length);
    else if (input === "a") {
      if (selectedAsk === undefined) setNotice("no open ask to answer");
      else setMode({ kind: "answer", askId: selectedAsk.askId, typed: "" });
    } else if (input === "t") {
      setMode({ kind: "tell", taskId: getToldTaskId(model), typed: "" });
    } else if (input === "p") {
      const planAsk = model.asks.get(`ask-${model.runId}-plan`);
      if (planAsk === undefined) setNotice("no plan waits for approval");
      else act(controller.answer(planAsk.askId, "approve"));
    } else if (input === "s") {
      if (model.process.kind === "none") setNotice("read-only: no process is working on this run");
      else setMode({ kind: "confirm-stop" });
    }
  }

  function handleAnswerKey(
    input: string,
    key: Key,
    current: Extract<Mode, { kind: "answer" }>,
  ): void {
    const ask = model.asks.get(current.askId);
    if (ask === undefined) {
      setMode({ kind: "main" });
      setNotice(`${current.askId} is no longer open`);
      return;
    }
    const action = getAnswerKeyAction(input, key, ask.options, current.typed);
    switch (action.kind) {
      case "cancel":
        setMode({ kind: "main" });
        return;
      case "send":
        setMode({ kind: "main" });
        setNotice(`answering ${ask.askId}: ${action.answer}…`);
        act(controller.answer(ask.askId, action.answer));
        return;
      case "edit":
        // Keys can come faster than React renders: each edit applies to the latest text, not
        // the text of the render that saw the key.
        setMode((previous) =>
          previous.kind === "answer"
            ? { ...previous, typed: action.edit(previous.typed) }
            : previous,
        );
        return;
      case "none":
        return;
    }
  }

  function handleTellKey(input: string, key: Key, current: Extract<Mode, { kind: "tell" }>): void {
    // No options: digits are words too, Enter sends, Esc cancels.
    const action = getAnswerKeyAction(input, key, [], current.typed);
    switch (action.kind) {
      case "cancel":
        setMode({ kind: "main" });
        setNotice("nothing told");
        return;
      case "send":
        setMode({ kind: "main" });
        setNotice(`telling ${current.taskId ?? "the run"}'s worker…`);
        act(controller.tell(current.taskId, action.answer));
        return;
      case "edit":
        setMode((previous) =>
          previous.kind === "tell" ? { ...previous, typed: action.edit(previous.typed) } : previous,
        );
        return;
      case "none":
        return;
    }
  }

  const status = notice ?? model.message ?? "? help · t tell the worker · q quit";
  if (mode.kind === "help")
    return h(Box, { flexDirection: "column", width: columns }, h(HelpPanel, { theme }));
  const answering = mode.kind === "answer" ? model.asks.get(mode.askId) : undefined;
  const spare = Math.max(4, rows - FIXED_ROWS - askRows(asks));
  return h(
    Box,
    { flexDirection: "column", width: columns },
    h(Header, { model, theme }),
    h(BoardPanel, { model, theme, isNarrow, maxRows: Math.max(1, Math.floor(spare * 0.3)) }),
    h(AgentsPanel, {
      model,
      theme,
      nowMs,
      isNarrow,
      maxRows: Math.max(1, Math.floor(spare * 0.2)),
    }),
    h(TailPanel, { model, theme, maxRows: Math.max(1, Math.floor(spare * 0.3)) }),
    h(TimelinePanel, { model, theme, maxRows: Math.max(1, Math.floor(spare * 0.2)) }),
    mode.kind === "tell"
      ? h(TellPrompt, { taskId: mode.taskId, typed: mode.typed, theme })
      : answering === undefined
        ? h(AsksPanel, { asks, selectedIndex: Math.min(askIndex, asks.length - 1), theme })
        : h(AnswerPrompt, {
            ask: answering,
            typed: mode.kind === "answer" ? mode.typed : "",
            theme,
          }),
    h(
      Line,
      { theme, tone: mode.kind === "confirm-stop" ? "yellow" : "gray" },
      mode.kind === "confirm-stop"
        ? "stop this run? y to stop, any other key to keep it running"
        : status,
    ),
  );
}

/**
 * The task `t` tells: the selected agent's, when it is a task's worker or verifier; the run's
 * next worker when no agent is selected or the selected one is a team run's planner.
 */
function getToldTaskId(model: MonitorModel): string | undefined {
  const key = model.selectedAgentKey;
  const lane = key === undefined ? undefined : model.agentsByKey.get(key);
  if (lane === undefined || lane.seat === "planner") return undefined;
  return lane.taskId;
}

/** Rows the asks panel takes: its title and two lines an ask. */
function askRows(asks: readonly OpenAsk[]): number {
  return asks.length === 0 ? 0 : 1 + 2 * asks.length;
}

/** The time, ticking once a second for the idle timers (it reads nothing). */
function useNowMs(): number {
  const [nowMs, setNowMs] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return nowMs;
}
