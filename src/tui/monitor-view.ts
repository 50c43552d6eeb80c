/**
 * The terminal monitor's panels, each a small component drawn from the model: the header with
 * the run and who works on it, spend against the budget, the board (a team run's tasks, a
 * review's rounds, a pipeline's stages), the agents with idle timers, the selected agent's tail,
 * the open asks and the latest events. Lines are cut to the terminal's width, never wrapped.
 */
import { Box, Text } from "ink";
import { createElement as h, type ReactElement, type ReactNode } from "react";
import { formatDuration, formatUsd } from "../cli/format.js";
import { getTaskState } from "../store/run-index.js";
import type { TaskStatus } from "../store/schema/events.js";
import {
  countTasksByStatus,
  type AgentLane,
  type MonitorModel,
  type OpenAsk,
} from "./monitor-model.js";
import { getIdleTone, getSpendTone, getToneProps, type Theme, type Tone } from "./theme.js";

/** Below this many columns the panels drop their less useful columns. */
export const NARROW_COLUMNS = 80;

/** One line of text, cut at the edge of the terminal. */
export function Line(props: {
  theme: Theme;
  tone?: Tone;
  isBold?: boolean;
  children?: ReactNode;
}): ReactElement {
  return h(
    Text,
    { wrap: "truncate-end", bold: props.isBold === true, ...getToneProps(props.theme, props.tone) },
    props.children,
  );
}

/** A panel's title line. */
function Title(props: { theme: Theme; children?: ReactNode }): ReactElement {
  return h(Line, { theme: props.theme, tone: "cyan", isBold: true }, props.children);
}

/** The run, its status, and which process works on it (or that the view is read-only). */
export function Header(props: { model: MonitorModel; theme: Theme }): ReactElement {
  const { model, theme } = props;
  const { run } = model;
  const who =
    model.process.kind === "this"
      ? "running in this monitor"
      : model.process.kind === "other"
        ? `live · process ${model.process.pid}`
        : "read-only: no process is working on this run";
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Line,
      { theme, isBold: true },
      `bosun monitor · ${model.runId} · ${run?.flow ?? "…"} · ${run?.status ?? "loading"} · ${who}`,
    ),
    h(Line, { theme }, run?.title ?? ""),
    h(CostLine, { model, theme }),
  );
}

/** Spend against the run's cap, amber then red near it. */
export function CostLine(props: { model: MonitorModel; theme: Theme }): ReactElement {
  const { run } = props.model;
  const costUsd = run?.costUsd ?? 0;
  const budgetUsd = run?.flow === "team" ? run.options.budgetUsd : undefined;
  const text =
    budgetUsd === undefined
      ? `cost ${formatUsd(costUsd)} (no budget cap)`
      : `cost ${formatUsd(costUsd)} of ${formatUsd(budgetUsd)} (${Math.round((costUsd / budgetUsd) * 100)}%)`;
  return h(Line, { theme: props.theme, tone: getSpendTone(costUsd, budgetUsd) }, text);
}

/** A team run's tasks, a review's rounds, or a pipeline's stages: at most `maxRows` rows. */
export function BoardPanel(props: {
  model: MonitorModel;
  theme: Theme;
  maxRows: number;
  isNarrow: boolean;
}): ReactElement {
  const { model, theme } = props;
  const rows =
    model.run?.flow === "team"
      ? getTeamRows(model, props.isNarrow)
      : model.run?.flow === "pipeline"
        ? getStageRows(model)
        : getRoundRows(model);
  const title =
    model.run?.flow === "team"
      ? `board ${formatCounts(countTasksByStatus(model))}`
      : model.run?.flow === "pipeline"
        ? "stages"
        : "rounds";
  const shown = rows.slice(0, props.maxRows);
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, title),
    ...shown.map((row, index) => h(Line, { key: index, theme, tone: row.tone }, row.text)),
    rows.length > shown.length
      ? h(Line, { theme, tone: "gray" }, `  … ${rows.length - shown.length} more (bosun board)`)
      : null,
    rows.length === 0 ? h(Line, { theme, tone: "gray" }, "  nothing yet") : null,
  );
}

/** A row of the board. */
interface Row {
  text: string;
  tone?: Tone;
}

const STATUS_TONE: Record<TaskStatus, Tone | undefined> = {
  pending: undefined,
  running: "cyan",
  retry_queued: "yellow",
  accepted: "cyan",
  merged: "green",
  needs_human: "yellow",
  failed: "red",
  cancelled: "red",
};

/** Tasks in plan order, those at work and waiting on a human first. */
function getTeamRows(model: MonitorModel, isNarrow: boolean): Row[] {
  if (model.planTasks === undefined)
    return [{ text: "  no plan yet: the planner is at work", tone: "gray" }];
  const rows = model.planTasks.map((task) => {
    const state = getTaskState(model.index, task.id);
    const status = state?.status ?? "pending";
    const asks = [...model.asks.values()].filter((ask) => ask.taskId === task.id).length;
    const parts = [
      `  ${task.id}`,
      status,
      state === undefined || state.lastStartedRound === 0 ? "" : `r${state.lastStartedRound}`,
      isNarrow ? "" : (state?.workerHarness ?? ""),
      isNarrow ? "" : formatUsd(state?.costUsd ?? 0),
      asks > 0 ? "? ask" : "",
      isNarrow ? "" : task.title,
    ];
    return {
      text: parts.filter((part) => part !== "").join("  "),
      tone: STATUS_TONE[status],
      status,
    };
  });
  const urgency = (status: TaskStatus): number =>
    status === "needs_human" ? 0 : status === "running" || status === "accepted" ? 1 : 2;
  return rows.sort((a, b) => urgency(a.status) - urgency(b.status));
}

/** A review's rounds: gates, the reviewer's decision, the verdict. */
function getRoundRows(model: MonitorModel): Row[] {
  const taskId = model.run?.flow === "review" ? model.run.taskId : undefined;
  const task = taskId === undefined ? undefined : getTaskState(model.index, taskId);
  if (task === undefined) return [];
  return [...task.rounds.values()].map((round) => {
    const gates = [...round.gates.values()]
      .map((gate) => `${gate.name} ${gate.passed ? "✓" : "✗"}`)
      .join(" ");
    const review = round.review === undefined ? "" : `review ${round.review.decision}`;
    const verdict = round.completed === undefined ? "at work" : `→ ${round.completed.verdict}`;
    const tone: Tone | undefined =
      round.completed?.verdict === "accept"
        ? "green"
        : round.completed?.verdict === "escalate"
          ? "yellow"
          : undefined;
    return {
      text: [`  round ${round.round}`, gates, review, verdict].filter((p) => p !== "").join("  "),
      ...(tone === undefined ? {} : { tone }),
    };
  });
}

/** A pipeline's stages in the order they ran: iterations and the last verdict. */
function getStageRows(model: MonitorModel): Row[] {
  return [...model.index.tasks.values()]
    .filter((task) => task.phase !== undefined)
    .map((task) => {
      const last = task.rounds.get(task.lastStartedRound);
      const verdict = last?.verdict?.verdict;
      const tone: Tone | undefined =
        verdict === "complete"
          ? "green"
          : verdict === "blocked"
            ? "red"
            : verdict === "question"
              ? "yellow"
              : undefined;
      return {
        text: `  ${task.phase ?? ""}  iteration ${task.lastStartedRound}${verdict === undefined ? "  at work" : `  ${verdict}`}`,
        ...(tone === undefined ? {} : { tone }),
      };
    });
}

function formatCounts(counts: Record<TaskStatus, number>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  return parts.length === 0 ? "" : `· ${parts.join(" · ")}`;
}

/** Agents at work first, then the latest finished: state, round, idle timer, spend. */
export function AgentsPanel(props: {
  model: MonitorModel;
  theme: Theme;
  nowMs: number;
  maxRows: number;
  isNarrow: boolean;
}): ReactElement {
  const { model, theme } = props;
  const lanes = getShownLanes(model, props.maxRows);
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Title,
      { theme },
      `agents (${model.agents.filter((lane) => lane.state === "working").length} working)`,
    ),
    ...lanes.map((lane) =>
      h(AgentRow, {
        key: lane.key,
        lane,
        theme,
        nowMs: props.nowMs,
        isSelected: lane.key === model.selectedAgentKey,
        isNarrow: props.isNarrow,
      }),
    ),
    lanes.length === 0 ? h(Line, { theme, tone: "gray" }, "  none yet") : null,
  );
}

/** The lanes shown: every one at work, then the most recent others, up to `maxRows`. */
export function getShownLanes(model: MonitorModel, maxRows: number): AgentLane[] {
  const working = model.agents.filter((lane) => lane.state === "working");
  const others = model.agents.filter((lane) => lane.state !== "working").reverse();
  return [...working, ...others].slice(0, Math.max(1, maxRows));
}

function AgentRow(props: {
  lane: AgentLane;
  theme: Theme;
  nowMs: number;
  isSelected: boolean;
  isNarrow: boolean;
}): ReactElement {
  const { lane, theme } = props;
  const idleMs = Math.max(0, props.nowMs - lane.lastActivityMs);
  const isWorking = lane.state === "working";
  const idleTone = isWorking ? getIdleTone(idleMs) : undefined;
  // Silent past the red mark (bosun's default stall limit): stalled, whatever it says it does.
  const state = idleTone === "red" ? "stalled" : lane.state;
  const stateTone: Tone | undefined = isWorking
    ? (idleTone ?? "cyan")
    : lane.state === "done"
      ? "green"
      : lane.state === "failed" || lane.state === "stalled"
        ? "red"
        : "yellow";
  const where = lane.phase === undefined ? lane.taskId : `${lane.taskId}/${lane.phase}`;
  const parts = [
    `${props.isSelected ? "›" : " "} ${where}`,
    lane.seat,
    props.isNarrow ? "" : lane.harness,
    state,
    `r${lane.round}`,
    isWorking ? `idle ${formatDuration(idleMs)}` : "",
    props.isNarrow ? "" : formatUsd(lane.costUsd),
  ];
  return h(
    Line,
    { theme, tone: stateTone, isBold: props.isSelected },
    parts.filter((part) => part !== "").join("  "),
  );
}

/** The selected agent's last output lines. */
export function TailPanel(props: {
  model: MonitorModel;
  theme: Theme;
  maxRows: number;
}): ReactElement {
  const { model, theme } = props;
  const shown = model.tail.slice(-Math.max(1, props.maxRows));
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, `output · ${model.selectedAgentKey ?? "no agent yet"}`),
    ...shown.map((line, index) => h(Line, { key: index, theme }, `  ${line}`)),
    shown.length === 0 ? h(Line, { theme, tone: "gray" }, "  (no output yet)") : null,
  );
}

/** The run's open asks, numbered, with their options. */
export function AsksPanel(props: {
  asks: readonly OpenAsk[];
  selectedIndex: number;
  theme: Theme;
}): ReactElement | null {
  const { asks, theme } = props;
  if (asks.length === 0) return null;
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, `asks (${asks.length}) · a answers the selected one, tab selects the next`),
    ...asks.map((ask, index) =>
      h(AskLines, { key: ask.askId, ask, theme, isSelected: index === props.selectedIndex }),
    ),
  );
}

/** An ask: its id and question, then its options. */
export function AskLines(props: { ask: OpenAsk; theme: Theme; isSelected: boolean }): ReactElement {
  const { ask, theme } = props;
  const options =
    ask.options.length === 0
      ? "answer in your own words"
      : ask.options.map((option) => `${option.key}: ${option.label}`).join(" · ");
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Line,
      { theme, tone: "yellow", isBold: props.isSelected },
      `${props.isSelected ? "›" : " "} ${ask.askId}${ask.taskId === undefined ? "" : ` (${ask.taskId})`}: ${ask.question}`,
    ),
    h(Line, { theme, tone: "gray" }, `    ${options}`),
  );
}

/** The last events, as `bosun log` prints them. */
export function TimelinePanel(props: {
  model: MonitorModel;
  theme: Theme;
  maxRows: number;
}): ReactElement {
  const { model, theme } = props;
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, "events"),
    ...model.timeline
      .slice(-Math.max(1, props.maxRows))
      .map((line, index) => h(Line, { key: index, theme }, line)),
  );
}

/** The keys, for `?`. */
export const MONITOR_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["j / k, ↓ / ↑", "select the agent whose output is shown"],
  ["tab", "select the next open ask"],
  ["a", "answer the selected ask (a number picks an option; Enter sends typed text)"],
  ["t", "tell the selected agent's task's worker something (its next prompt; Enter sends)"],
  ["p", "approve the plan (a team run started with --gate-plan)"],
  ["s", "stop the run (asks to confirm with y)"],
  ["?", "show or hide this help"],
  ["q", "quit (a run this monitor resumed is paused first; --resume continues it)"],
];

/** The help screen. */
export function HelpPanel(props: { theme: Theme }): ReactElement {
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme: props.theme }, "keys"),
    ...MONITOR_KEYS.map(([key, what]) =>
      h(Line, { key, theme: props.theme }, `  ${key.padEnd(14)} ${what}`),
    ),
    h(Line, { theme: props.theme, tone: "gray" }, "  ? or Esc to go back"),
  );
}

/** Answering an ask: its question, its options by number, what is typed so far. */
export function AnswerPrompt(props: { ask: OpenAsk; typed: string; theme: Theme }): ReactElement {
  const { ask, theme } = props;
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, `answer ${ask.askId}`),
    h(Line, { theme }, ask.question),
    ...ask.options.map((option, index) =>
      h(Line, { key: option.key, theme }, `  ${index + 1}  ${option.key}: ${option.label}`),
    ),
    h(
      Line,
      { theme, tone: "yellow" },
      `> ${props.typed}▏ ${ask.options.length === 0 ? "(Enter sends, Esc cancels)" : "(a number or a key, Enter sends, Esc cancels)"}`,
    ),
  );
}

/** Telling a worker: whose, and what is typed so far. */
export function TellPrompt(props: {
  taskId: string | undefined;
  typed: string;
  theme: Theme;
}): ReactElement {
  const { theme } = props;
  const whose = props.taskId === undefined ? "the run's next worker" : `${props.taskId}'s worker`;
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, `tell ${whose}`),
    h(Line, { theme }, "delivered with its next prompt, once (bosun tell does the same)"),
    h(Line, { theme, tone: "yellow" }, `> ${props.typed}▏ (Enter sends, Esc cancels)`),
  );
}
