// The pulse's panel: the object /api/pulse serves (what `bosun _ state` prints) drawn as parts —
// the daemon, the brain's budgets, goals, sensor readings, workers, the decision held for a
// human (Approve / Reject per move and for all) and the journal's tail. Each part is redrawn only
// when its own data changed, so a new journal line leaves the rest (and a half-made choice) be.
import { h, usd } from "./view.js";

/** The panel's parts, in page order: what each is drawn from. */
const PARTS = [
  ["daemon", (state) => [state.daemon, state.isPaused, state.approval, state.beats]],
  ["brain", (state) => state.brain],
  ["goals", (state) => state.goals],
  ["readings", (state) => state.readings],
  ["workers", (state) => state.workers],
  ["decision", (state) => state.heldDecision],
  ["asks", (state) => state.openAsks],
  ["journal", (state) => state.journalTail],
];

/** The daemon in one word, as `getDaemonState` (flows/pulse/pulse-status.ts) says it. */
export function getDaemonState(state) {
  if (!state.daemon.isRunning) return "stopped";
  if (state.daemon.isStale) return "stale";
  return state.isPaused ? "paused" : "running";
}

/**
 * Draws `state` into `panel` (the #pulse element): hidden without a pulse; otherwise only the
 * parts whose data differ from what `drawn` (part → its data as JSON) says is on the page.
 */
export function renderPulse(panel, state, drawn, handlers) {
  panel.hidden = state === null;
  if (state === null) {
    drawn.clear();
    panel.replaceChildren();
    return;
  }
  if (panel.querySelector(":scope > h2") === null)
    panel.replaceChildren(h("h2", {}, "Pulse"), h("div", { class: "pulse-grid" }));
  const grid = panel.querySelector(".pulse-grid");
  for (const [name, pick] of PARTS) {
    const key = JSON.stringify(pick(state));
    if (drawn.get(name) === key) continue;
    drawn.set(name, key);
    const node = renderPart(name, state, handlers);
    const current = grid.querySelector(`:scope > [data-pulse-part="${name}"]`);
    if (current !== null) current.replaceWith(node);
    else grid.append(node);
  }
}

function part(name, title, ...children) {
  return h(
    "section",
    { class: `pulse-part pulse-${name}`, "data-pulse-part": name },
    h("h3", {}, title),
    ...children,
  );
}

function renderPart(name, state, handlers) {
  switch (name) {
    case "daemon":
      return renderDaemon(state);
    case "brain":
      return renderBrain(state.brain);
    case "goals":
      return part(
        "goals",
        `Goals (${state.goals.length})`,
        state.goals.length === 0
          ? h("p", { class: "muted" }, "No goals: write one in .bosun/pulse/goals/.")
          : state.goals.map((goal) =>
              h("div", { "data-goal": goal.id }, h("b", {}, goal.id), " ", getSummary(goal.text)),
            ),
      );
    case "readings":
      return part(
        "readings",
        `Sensors (${state.readings.length})`,
        state.readings.length === 0 ? h("p", { class: "muted" }, "No reading yet.") : undefined,
        state.readings.map((reading) =>
          h(
            "div",
            {
              class: `reading ${reading.status}`,
              "data-reading": reading.name,
              "data-status": reading.status,
            },
            h("b", {}, reading.name),
            " ",
            reading.status === "ok"
              ? clip(JSON.stringify(reading.signal), 160)
              : `FAILED: ${reading.error}`,
          ),
        ),
      );
    case "workers":
      return part(
        "workers",
        `Workers (${state.workers.length})`,
        state.workers.length === 0 ? h("p", { class: "muted" }, "No workers.") : undefined,
        state.workers.map((worker) =>
          h(
            "div",
            { class: "worker", "data-worker": worker.id, "data-health": worker.health },
            h("span", { class: `status h-${worker.health}` }, worker.health),
            " ",
            h("b", {}, worker.id),
            " ",
            worker.summary,
          ),
        ),
      );
    case "decision":
      return renderDecision(state.heldDecision, handlers);
    case "asks":
      return part(
        "asks",
        `Open asks (${state.openAsks.length})`,
        state.openAsks.length === 0 ? h("p", { class: "muted" }, "None.") : undefined,
        state.openAsks.map((ask) =>
          h(
            "div",
            { "data-pulse-ask": ask.id },
            clip(ask.question, 200),
            ask.options.length > 0
              ? h("span", { class: "muted" }, ` [${ask.options.join(" / ")}]`)
              : "",
            h("small", { class: "muted" }, ` ${ask.id}`),
          ),
        ),
      );
    case "journal":
      return part(
        "journal",
        "Journal",
        h(
          "div",
          { class: "journal-lines", "data-journal": "" },
          state.journalTail.length === 0
            ? h("p", { class: "muted" }, "No move yet.")
            : state.journalTail
                .slice()
                .reverse()
                .map((line) => h("div", { "data-journal-line": "" }, line.replace(/^- /, ""))),
        ),
      );
    default:
      return part(name, name);
  }
}

function renderDaemon(state) {
  const { daemon } = state;
  const word = getDaemonState(state);
  return part(
    "daemon",
    "Daemon",
    h(
      "div",
      {},
      h("span", { class: `status d-${word}`, "data-daemon-state": word }, word),
      daemon.isRunning
        ? ` process ${daemon.pid} since ${daemon.startedAt ?? "?"}`
        : " (bosun pulse up starts it)",
    ),
    word === "stale"
      ? h(
          "div",
          { class: "notice" },
          "bosun was reinstalled after the daemon started: bosun pulse restart",
        )
      : undefined,
    h("div", { class: "muted" }, `approval ${state.approval} · ${state.beats} beat(s)`),
    daemon.lastBeat === null
      ? undefined
      : h("div", { class: "muted" }, `last beat ${daemon.lastBeatAt ?? ""}: ${daemon.lastBeat}`),
    daemon.nextBeatAt === null
      ? undefined
      : h("div", { class: "muted" }, `next beat by ${daemon.nextBeatAt}`),
  );
}

function renderBrain(brain) {
  const isOverCalls = brain.callsLastHour >= brain.callsPerHour;
  const isOverSpend = brain.budgetUsdPerDay > 0 && brain.spentTodayUsd >= brain.budgetUsdPerDay;
  return part(
    "brain",
    `Brain (${brain.harness})`,
    h(
      "div",
      { class: isOverCalls ? "over" : "", "data-brain": "calls" },
      `${brain.callsLastHour} / ${brain.callsPerHour} calls this hour`,
    ),
    h(
      "div",
      { class: isOverSpend ? "over" : "", "data-brain": "spend" },
      `${usd(brain.spentTodayUsd)}${brain.budgetUsdPerDay > 0 ? ` of ${usd(brain.budgetUsdPerDay)}` : ""} today`,
    ),
    brain.lastFailure === null
      ? undefined
      : h(
          "div",
          { class: "notice" },
          `last failure (${brain.consecutiveFailures} in a row): ${brain.lastFailure}`,
        ),
    brain.backoffUntil === null
      ? undefined
      : h("div", { class: "muted" }, `backing off until ${brain.backoffUntil}`),
    brain.quotaResetAt === null
      ? undefined
      : h("div", { class: "muted" }, `provider limit: waiting until ${brain.quotaResetAt}`),
  );
}

/** The held decision: each move with its gate's reason, Approve / Reject on the held ones. */
function renderDecision(decision, handlers) {
  if (decision === null)
    return part(
      "decision",
      "Waiting for you",
      h("p", { class: "muted" }, "No move waits for a human."),
    );
  const held = decision.actions.filter((item) => item.status === "awaiting");
  const button = (label, attrs, onclick) =>
    h("button", { type: "button", ...attrs, onclick }, label);
  const settle = (isReject, only) => handlers.settlePulse(decision.id, isReject, only);
  return part(
    "decision",
    `Waiting for you: ${decision.id}`,
    h("div", { class: "critique" }, decision.critique),
    h(
      "div",
      { class: "moves", "data-decision": decision.id },
      decision.actions.map((item) =>
        h(
          "div",
          { class: "move", "data-move": item.index, "data-status": item.status },
          h("b", {}, `#${item.index} `),
          item.description,
          " ",
          h("span", { class: `status m-${item.status}` }, item.status),
          h("div", { class: "muted" }, item.gateReason),
          item.result ? h("div", { class: "muted" }, item.result) : undefined,
          item.error ? h("div", { class: "notice" }, item.error) : undefined,
          item.status === "awaiting"
            ? h(
                "div",
                { class: "actions" },
                button("Approve", { "data-approve": item.index }, () =>
                  settle(false, [item.index]),
                ),
                button("Reject", { "data-reject": item.index }, () => settle(true, [item.index])),
              )
            : undefined,
        ),
      ),
    ),
    held.length > 1
      ? h(
          "div",
          { class: "actions" },
          button(`Approve all ${held.length}`, { "data-approve": "all" }, () =>
            settle(false, undefined),
          ),
          button(`Reject all ${held.length}`, { "data-reject": "all" }, () =>
            settle(true, undefined),
          ),
        )
      : undefined,
  );
}

function getSummary(text) {
  const lines = text.split("\n").map((line) => line.trim());
  return clip(lines.find((line) => line !== "" && !line.startsWith("#")) ?? lines[0] ?? "", 140);
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
