/**
 * `bosun monitor --pulse`'s screen: the pulse's daemon, brain budgets, goals, sensor readings
 * (failing ones in red with the reason), workers with their health, the decision held for a
 * human with each move's description and gate reason, the open asks and the journal's tail.
 * j / k select a held move; a approves it, r rejects it (A and R: every held move), each after
 * a y to confirm.
 */
import { Box, useApp, type Key } from "ink";
import { createElement as h, useState, useSyncExternalStore, type ReactElement } from "react";
import { formatUsd } from "../cli/format.js";
import { getDaemonState, type DaemonState } from "../flows/pulse/pulse-status.js";
import type { HeldDecision, PulseStatus } from "../flows/pulse/pulse-status-schema.js";
import { Line } from "./monitor-view.js";
import type { PulseController } from "./pulse-source.js";
import type { Theme, Tone } from "./theme.js";
import { useKeys } from "./use-keys.js";
import { useWindowSize } from "./window-size.js";

/** Held moves a key acts on, waiting for the human's y. */
interface Confirming {
  decisionId: string;
  /** One move's index; undefined: every held move (A / R). */
  index: number | undefined;
  /** What is asked about, e.g. `#1 delete old.txt` or `all 2 held moves`. */
  what: string;
  isReject: boolean;
}

/** Most goals listed (the rest counted). */
const MAX_GOAL_ROWS = 5;

/** The pulse's screen. `columns` and `rows` override the terminal's (tests). */
export function PulseApp(props: {
  controller: PulseController;
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
  const { status } = controller.model;
  const [selected, setSelected] = useState<number | undefined>();
  const [confirming, setConfirming] = useState<Confirming | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const held = status?.heldDecision ?? null;
  const heldMoves = held?.actions.filter((item) => item.status === "awaiting") ?? [];
  // The selected move while it is still held, else the first held one.
  const current = heldMoves.find((item) => item.index === selected) ?? heldMoves[0];

  /** Runs an action, saying `doing` until it ends (unless something else was said since). */
  const act = (doing: string, what: Promise<void>): void => {
    setNotice(doing);
    what.then(
      () => setNotice((shown) => (shown === doing ? undefined : shown)),
      (error: unknown) => setNotice(error instanceof Error ? error.message : String(error)),
    );
  };

  useKeys((input: string, key: Key) => {
    if (confirming !== undefined) {
      setConfirming(undefined);
      if (input === "y") {
        act(
          `${confirming.isReject ? "rejecting" : "approving"} ${confirming.what}…`,
          controller.settle(
            confirming.decisionId,
            confirming.isReject,
            confirming.index === undefined ? undefined : [confirming.index],
          ),
        );
      } else setNotice(`${confirming.what}: still held`);
      return;
    }
    setNotice(undefined);
    if (input === "q") {
      controller.close();
      exit();
    } else if (input === "j" || input === "k" || key.downArrow || key.upArrow) {
      if (heldMoves.length === 0) return;
      const at = current === undefined ? 0 : heldMoves.indexOf(current);
      const step = input === "j" || key.downArrow ? 1 : -1;
      setSelected(heldMoves[(at + step + heldMoves.length) % heldMoves.length]?.index);
    } else if (input === "a" || input === "r") {
      if (held === null || current === undefined) setNotice("no move waits for a human");
      else
        setConfirming({
          decisionId: held.id,
          index: current.index,
          what: `#${current.index} ${current.description}`,
          isReject: input === "r",
        });
    } else if (input === "A" || input === "R") {
      if (held === null || heldMoves.length === 0) setNotice("no move waits for a human");
      else
        setConfirming({
          decisionId: held.id,
          index: undefined,
          what: `all ${heldMoves.length} held move(s) of ${held.id}`,
          isReject: input === "R",
        });
    }
  });

  if (status === undefined)
    return h(Line, { theme, tone: "gray" }, controller.model.message ?? "reading the pulse…");
  const statusLine =
    confirming !== undefined
      ? `${confirming.isReject ? "reject" : "approve"} ${confirming.what}? y to ${confirming.isReject ? "reject" : "approve"}, any other key to keep it held`
      : (notice ??
        controller.model.message ??
        (heldMoves.length > 0
          ? "j / k select a held move · a approve · r reject · A / R all held moves · q quit"
          : "q quit"));
  const fixedRows = countFixedRows(status);
  return h(
    Box,
    { flexDirection: "column", width: columns },
    h(DaemonLines, { status, theme }),
    h(BrainLine, { status, theme }),
    h(Title, { theme }, `Goals (${status.goals.length})`),
    ...status.goals
      .slice(0, MAX_GOAL_ROWS)
      .map((goal) => h(Line, { key: goal.id, theme }, `  ${goal.id}  ${getSummary(goal.text)}`)),
    h(Title, { theme }, `Sensors (${status.readings.length})`),
    ...status.readings.map((reading) =>
      reading.status === "ok"
        ? h(
            Line,
            { key: reading.name, theme },
            `  ${reading.name}  ${JSON.stringify(reading.signal)}`,
          )
        : h(
            Line,
            { key: reading.name, theme, tone: "red" },
            `  ${reading.name}  FAILED: ${reading.error}`,
          ),
    ),
    h(Title, { theme }, `Workers (${status.workers.length})`),
    ...status.workers.map((worker) =>
      h(
        Line,
        { key: worker.id, theme, tone: getHealthTone(worker.health) },
        `  ${worker.id}  ${worker.health}  ${worker.summary}`,
      ),
    ),
    h(HeldPanel, { held, selectedIndex: current?.index, theme }),
    status.openAsks.length === 0
      ? null
      : h(Title, { theme }, `Open asks (${status.openAsks.length})`),
    ...status.openAsks.map((ask) =>
      h(
        Line,
        { key: ask.id, theme },
        `  ${ask.id}  ${ask.question}${ask.options.length > 0 ? ` [${ask.options.join("/")}]` : ""}`,
      ),
    ),
    h(Title, { theme }, "Journal"),
    ...status.journalTail
      .slice(-Math.max(3, rows - fixedRows))
      .map((line, index) =>
        h(Line, { key: String(index), theme, tone: "gray" }, `  ${line.replace(/^- /, "")}`),
      ),
    h(Line, { theme, tone: confirming === undefined ? "gray" : "yellow" }, statusLine),
  );
}

/** Rows everything but the journal's lines takes. */
function countFixedRows(status: PulseStatus): number {
  const held = status.heldDecision;
  return (
    3 + // daemon (two) and brain
    1 +
    Math.min(MAX_GOAL_ROWS, status.goals.length) +
    1 +
    status.readings.length +
    1 +
    status.workers.length +
    1 +
    (held === null ? 0 : 2 * held.actions.length) +
    (status.openAsks.length === 0 ? 0 : 1 + status.openAsks.length) +
    1 + // journal title
    1 // status line
  );
}

function Title(props: { theme: Theme; children?: string }): ReactElement {
  return h(Line, { theme: props.theme, tone: "cyan", isBold: true }, props.children);
}

const DAEMON_TONES: Readonly<Record<DaemonState, Tone | undefined>> = {
  running: "green",
  paused: "yellow",
  stale: "red",
  stopped: "red",
};

function DaemonLines(props: { status: PulseStatus; theme: Theme }): ReactElement {
  const { status, theme } = props;
  const { daemon } = status;
  const state = getDaemonState(status);
  const what =
    state === "stopped"
      ? "not running (bosun pulse up starts it)"
      : `${state} · process ${daemon.pid ?? "?"}${state === "stale" ? " · bosun was reinstalled since it started: bosun pulse restart" : ""}`;
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Line,
      { theme, isBold: true, tone: DAEMON_TONES[state] },
      `bosun monitor --pulse · daemon ${what} · approval ${status.approval} · ${status.beats} beat(s)`,
    ),
    h(
      Line,
      { theme, tone: "gray" },
      daemon.lastBeat === null
        ? "no beat yet"
        : `last beat ${daemon.lastBeatAt ?? ""}: ${daemon.lastBeat}${daemon.nextBeatAt === null ? "" : ` · next by ${daemon.nextBeatAt}`}`,
    ),
  );
}

function BrainLine(props: { status: PulseStatus; theme: Theme }): ReactElement {
  const { brain } = props.status;
  const isOver =
    brain.callsLastHour >= brain.callsPerHour ||
    (brain.budgetUsdPerDay > 0 && brain.spentTodayUsd >= brain.budgetUsdPerDay);
  const parts = [
    `brain ${brain.harness}`,
    `${brain.callsLastHour}/${brain.callsPerHour} calls this hour`,
    `${formatUsd(brain.spentTodayUsd)}${brain.budgetUsdPerDay > 0 ? ` of ${formatUsd(brain.budgetUsdPerDay)}` : ""} today`,
    brain.lastFailure === null
      ? undefined
      : `last failure (${brain.consecutiveFailures} in a row): ${brain.lastFailure}`,
    brain.backoffUntil === null ? undefined : `backing off until ${brain.backoffUntil}`,
    brain.quotaResetAt === null ? undefined : `provider limit until ${brain.quotaResetAt}`,
  ];
  return h(
    Line,
    { theme: props.theme, tone: isOver || brain.lastFailure !== null ? "yellow" : undefined },
    parts.filter((part) => part !== undefined).join(" · "),
  );
}

/** The held decision: every move with its status and gate reason, the selected one marked. */
function HeldPanel(props: {
  held: HeldDecision | null;
  selectedIndex: number | undefined;
  theme: Theme;
}): ReactElement {
  const { held, theme } = props;
  if (held === null) return h(Title, { theme }, "Waiting for you: nothing");
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { theme }, `Waiting for you: ${held.id} — ${held.critique}`),
    ...held.actions.flatMap((item) => {
      const isSelected = item.status === "awaiting" && item.index === props.selectedIndex;
      return [
        h(
          Line,
          {
            key: `${item.index}`,
            theme,
            isBold: isSelected,
            tone: item.status === "awaiting" ? "yellow" : undefined,
          },
          `${isSelected ? "›" : " "} #${item.index} ${item.description} · ${item.status}${item.result === undefined ? "" : ` · ${item.result}`}${item.error === undefined ? "" : ` · ${item.error}`}`,
        ),
        h(Line, { key: `${item.index}-why`, theme, tone: "gray" }, `     ${item.gateReason}`),
      ];
    }),
  );
}

function getHealthTone(health: string): Tone | undefined {
  if (health === "stuck" || health === "dead" || health === "failed") return "red";
  if (health === "waiting-ask") return "yellow";
  if (health === "done") return "green";
  return undefined;
}

function getSummary(text: string): string {
  const lines = text.split("\n").map((line) => line.trim());
  return lines.find((line) => line !== "" && !line.startsWith("#")) ?? lines[0] ?? "";
}
