// Rendering: functions from the page's state to DOM nodes, one per section of a run, plus the
// in-place updates the clock and the timeline need. Text always goes in as text nodes (never as
// HTML), so whatever a run or an agent wrote cannot become markup.
import { getKpis, getLaneKey } from "./model.js";
import { renderCostPlot, renderThroughputPlot } from "./plots.js";

/** Idle seconds after which a working agent's timer turns amber, then red. */
const IDLE_AMBER_SEC = 60;
const IDLE_RED_SEC = 300;

/** Most timeline rows on the page (the newest); the model keeps more for nothing else. */
const TIMELINE_ROWS = 100;

/** Builds an element: attributes (on* are listeners), then children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    // Through the CSSOM: the page's policy refuses style attributes.
    else if (name === "style") Object.assign(node.style, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

/** A dollar figure: cents above $10, else to the hundredth of a cent. */
export function usd(value) {
  return `$${(value ?? 0).toFixed(value >= 10 ? 2 : 4)}`;
}

/** A status as a coloured badge. */
export function statusBadge(status) {
  return h("span", { class: `status s-${status}` }, status.replace("_", " "));
}

/** The runs list. */
export function renderRuns(runs, selectedId, onSelect) {
  if (runs.length === 0) return [h("p", { class: "muted pad" }, "No runs yet.")];
  return runs.map((run) =>
    h(
      "button",
      {
        class: "run-item",
        "data-run": run.id,
        "aria-current": run.id === selectedId ? "true" : "false",
        onclick: () => onSelect(run.id),
      },
      statusBadge(run.status),
      " ",
      run.flow,
      h("div", {}, run.title),
      h(
        "small",
        {},
        `${run.id} · ${usd(run.costUsd)}${run.openAskIds.length > 0 ? ` · ${run.openAskIds.length} ask(s)` : ""}`,
      ),
    ),
  );
}

/** The run's title, status and its buttons (stop, approve the plan). */
export function renderHeader(model, handlers) {
  const { run } = model;
  const planAskId = `ask-${run.id}-plan`;
  return h(
    "div",
    { id: "run-header" },
    h("h1", {}, run.title),
    h(
      "div",
      { class: "muted" },
      `${run.flow} run ${run.id} · `,
      statusBadge(run.status),
      run.reason ? ` · ${run.reason}` : "",
    ),
    h(
      "div",
      { class: "actions" },
      run.status === "running"
        ? h("button", { id: "stop-run", onclick: () => handlers.stop(run.id) }, "Stop run")
        : undefined,
      run.openAskIds.includes(planAskId)
        ? h(
            "button",
            { id: "approve-plan", onclick: () => handlers.approve(run.id) },
            "Approve plan",
          )
        : undefined,
    ),
  );
}

/** The cost plot and, for a team run, throughput; their x axis runs to `nowMs`. */
export function renderPlots(model, nowMs) {
  const { run } = model;
  return h(
    "section",
    { id: "plots" },
    h("h2", {}, "Plots"),
    h(
      "div",
      { class: "plots" },
      renderCostPlot(model.spend, model.budgetUsd, run.createdAt, nowMs),
      model.hasBoard
        ? renderThroughputPlot(model.merges, run.createdAt, nowMs, model.tasks.size)
        : undefined,
    ),
  );
}

/** Run statuses after which no worker of the run runs again: nothing to tell. */
const FINISHED_STATUSES = new Set(["succeeded", "cancelled"]);

/** Team task statuses whose worker does not run again. */
const DONE_TASK_STATUSES = new Set(["merged", "failed", "cancelled"]);

/**
 * Tell a worker (`bosun tell`): a message for the next worker prompt of a task, or of whichever
 * task's worker runs next. Only while the run can still run a worker.
 */
export function renderTell(model, handlers) {
  const { run } = model;
  if (FINISHED_STATUSES.has(run.status)) return undefined;
  const tasks = [...model.tasks.values()].filter((task) => !DONE_TASK_STATUSES.has(task.status));
  const target = h(
    "select",
    { name: "task", "aria-label": "which worker" },
    h("option", { value: "" }, model.hasBoard ? "the next worker, any task" : "the worker"),
    tasks.map((task) => h("option", { value: task.id }, `task ${task.id}`)),
  );
  const text = h("input", {
    name: "tell",
    placeholder: "a message for its next prompt",
    "aria-label": "message",
  });
  return h(
    "section",
    { id: "tell" },
    h(
      "form",
      {
        class: "tell",
        onsubmit: (event) => {
          event.preventDefault();
          const message = text.value.trim();
          if (message === "") return;
          void handlers.tell(run.id, target.value || undefined, message).then((isSent) => {
            if (isSent) text.value = "";
          });
        },
      },
      h("label", {}, "Tell ", target),
      text,
      h("button", { type: "submit" }, "Tell"),
    ),
  );
}

function kpi(label, value, extra = {}) {
  return h(
    "div",
    { class: `kpi ${extra.level ?? ""}`, "data-kpi": extra.key ?? label },
    h("b", {}, value),
    label,
    extra.child,
  );
}

/** The KPI bar. */
export function renderKpis(model) {
  const k = getKpis(model);
  const budgetBar =
    k.budget === undefined
      ? undefined
      : h(
          "div",
          { class: "bar" },
          h("div", {
            style: { width: `${Math.min(100, (100 * k.spent) / k.budget).toFixed(1)}%` },
          }),
        );
  const items = [
    k.progress === undefined
      ? kpi("round", model.run.round ?? 0)
      : kpi("progress", `${k.progress}%`, { key: "progress" }),
    kpi("agents active", k.active, { key: "active" }),
  ];
  if (model.hasBoard) {
    items.push(
      kpi("in progress", k.inProgress, { key: "in-progress" }),
      kpi("blocked", k.blocked, { key: "blocked" }),
      kpi("escalated", k.escalated, { key: "escalated", level: k.escalated > 0 ? "amber" : "" }),
      kpi("retries", k.retries, { key: "retries" }),
      kpi("time left", k.etaMin === undefined ? "–" : `~${k.etaMin} min`, { key: "eta" }),
    );
  }
  items.push(
    kpi(k.budget === undefined ? "spent" : `of ${usd(k.budget)} budget`, usd(k.spent), {
      key: "spend",
      level: k.spendLevel,
      child: budgetBar,
    }),
  );
  return h("section", { id: "kpis" }, h("div", { class: "kpis" }, items));
}

/** Open asks and tasks stuck (escalated, failed, waiting to retry). */
export function renderAttention(model, asks, handlers, views) {
  const open = asks.filter((item) => item.isOpen);
  const stuck = [...model.tasks.values()].filter(
    (task) =>
      task.status === "needs_human" || task.status === "failed" || task.status === "retry_queued",
  );
  const stuckRows = stuck.map((task) =>
    h(
      "div",
      { class: "stuck", "data-stuck": task.id },
      h(
        "div",
        { class: "muted" },
        statusBadge(task.status),
        ` ${task.id} ${task.title}`,
        task.reason ? ` — ${task.reason}` : "",
        " ",
        diffToggle(task.id, handlers, views),
      ),
      renderDiff(task.id, views),
    ),
  );
  return h(
    "section",
    { id: "attention" },
    h("h2", {}, `Needs attention (${open.length} ask${open.length === 1 ? "" : "s"})`),
    // Apart from the rest: the page keeps this node while the asks stay the same.
    h(
      "div",
      { id: "asks" },
      open.map((item) => renderAsk(item, handlers)),
    ),
    h("div", { id: "stuck" }, stuckRows),
    open.length + stuck.length === 0
      ? h("p", { class: "muted" }, "Nothing waits on you.")
      : undefined,
  );
}

function renderAsk(item, handlers) {
  const { ask } = item;
  const note = h("input", {
    name: "note",
    placeholder: "note for the next round (optional)",
    "aria-label": "note",
  });
  const free = h("input", { name: "answer", placeholder: "your answer", "aria-label": "answer" });
  const send = (answer) => handlers.answer(ask.id, answer, note.value);
  const controls =
    ask.options.length > 0
      ? ask.options.map((option) =>
          h(
            "button",
            {
              type: "button",
              title: option.label,
              "data-option": option.key,
              onclick: () => send(option.key),
            },
            `${option.key} — ${option.label}`,
          ),
        )
      : [free, h("button", { type: "submit" }, "Answer")];
  const form = h(
    "form",
    {
      onsubmit: (event) => {
        event.preventDefault();
        if (ask.options.length === 0 && free.value.trim() !== "") send(free.value);
      },
    },
    controls,
    note,
  );
  return h(
    "div",
    { class: "ask", "data-ask": ask.id },
    h("div", {}, h("b", {}, ask.question)),
    item.answerProblem ? h("div", { class: "notice" }, item.answerProblem) : undefined,
    ask.context ? h("pre", {}, ask.context) : undefined,
    form,
  );
}

/**
 * The agents' lanes. Each row carries when its agent was last heard and its state, so the clock
 * can move its idle timer without redrawing the section (updateIdleTimers).
 */
export function renderLanes(model, nowMs, handlers, views) {
  const lanes = [...model.lanes.values()].sort(
    (a, b) =>
      Number(b.state === "working") - Number(a.state === "working") || b.lastAtMs - a.lastAtMs,
  );
  const rows = lanes.slice(0, 24).map((lane) => {
    const key = getLaneKey(lane);
    const tail = views.tails.get(key);
    const row = h(
      "div",
      { class: "lane", "data-lane": key, "data-state": lane.state },
      h("span", {}, lane.taskId + (lane.phase ? ` · ${lane.phase}` : "")),
      h("span", {}, lane.seat),
      h("span", { class: "muted" }, lane.harness ?? ""),
      h("span", { class: "lane-state" }, lane.state),
      h("span", { class: "idle", title: "since last heard" }),
      h(
        "span",
        { class: "muted" },
        `round ${lane.round} · ${usd(lane.costUsd)} `,
        h(
          "button",
          {
            type: "button",
            class: "toggle",
            "data-tail-toggle": key,
            "aria-expanded": tail === undefined ? "false" : "true",
            title: "follow this agent's output (its agent.log, live)",
            onclick: () => handlers.toggleTail(lane),
          },
          tail === undefined ? "tail ▸" : "tail ▾",
        ),
      ),
      tail === undefined
        ? lane.tail.length > 0
          ? h("div", { class: "tail" }, lane.tail.join("\n"))
          : undefined
        : h(
            "div",
            { class: "tail live", "data-tail": key },
            tail.error ? h("div", { class: "notice" }, tail.error) : undefined,
            tail.lines.length > 0 ? tail.lines.join("\n") : tail.error ? "" : "(no output yet)",
          ),
    );
    laneClocks.set(row, { lastAtMs: lane.lastAtMs, state: lane.state });
    setIdleTimer(row, nowMs);
    return row;
  });
  return h(
    "section",
    { id: "lanes" },
    h("h2", {}, "Agents"),
    rows.length === 0
      ? h("p", { class: "muted" }, "No agent has run yet.")
      : h("div", { class: "lanes" }, rows),
  );
}

/** A lane row's agent: when last heard and its state (the row's own data, not the DOM's). */
const laneClocks = new WeakMap();

/** A row's idle timer, its level and its state (stalled past the red mark) at `nowMs`. */
function setIdleTimer(row, nowMs) {
  const clock = laneClocks.get(row);
  if (clock === undefined) return;
  const idleSec = Math.max(0, Math.round((nowMs - clock.lastAtMs) / 1000));
  const isWorking = clock.state === "working";
  const level = !isWorking
    ? ""
    : idleSec >= IDLE_RED_SEC
      ? "red"
      : idleSec >= IDLE_AMBER_SEC
        ? "amber"
        : "";
  // Silent past the red mark (bosun's default stall limit): stalled, whatever it says it does.
  const state = level === "red" ? "stalled" : clock.state;
  const idle = row.querySelector(".idle");
  const text = isWorking ? `${idleSec}s` : "";
  // Only what changed is written: an unchanged DOM costs the browser no style or layout.
  if (idle.textContent !== text) idle.textContent = text;
  if (idle.className !== `idle ${level}`) idle.className = `idle ${level}`;
  if (row.dataset.state !== state) {
    row.dataset.state = state;
    row.querySelector(".lane-state").textContent = state;
  }
}

/** The clock's tick: every lane's idle timer and stalled state, in place. */
export function updateIdleTimers(main, nowMs) {
  for (const row of main.querySelectorAll("#lanes .lane")) setIdleTimer(row, nowMs);
}

/** A task's diff button (open or closed). */
export function diffToggle(taskId, handlers, views) {
  const isOpen = views.diffs.has(taskId);
  return h(
    "button",
    {
      type: "button",
      class: "toggle",
      "data-diff-toggle": taskId,
      "aria-expanded": isOpen ? "true" : "false",
      title: "what this task changed (its merge, else its checkpoints)",
      onclick: () => handlers.toggleDiff(taskId),
    },
    isOpen ? "diff ▾" : "diff ▸",
  );
}

/** An opened diff: loading, its text (each line coloured by kind), or why it is not shown. */
export function renderDiff(taskId, views) {
  const entry = views.diffs.get(taskId);
  if (entry === undefined) return undefined;
  if (entry.error !== undefined)
    return h("div", { class: "notice diff-error", "data-diff": taskId }, entry.error);
  if (entry.text === undefined)
    return h("div", { class: "muted", "data-diff": taskId }, "loading…");
  if (entry.text === "")
    return h("div", { class: "muted", "data-diff": taskId }, "No change recorded yet.");
  // Built once per fetch and cloned per frame: a diff can be thousands of lines.
  entry.node ??= h(
    "pre",
    { class: "diff", "data-diff": taskId },
    entry.text.split("\n").map((line) => h("span", { class: diffLineClass(line) }, `${line}\n`)),
  );
  return entry.node.cloneNode(true);
}

function diffLineClass(line) {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ")) return "d-file";
  if (line.startsWith("@@")) return "d-hunk";
  if (line.startsWith("+")) return "d-add";
  if (line.startsWith("-")) return "d-del";
  return "";
}

function describeEvent(event) {
  const parts = [
    event.taskId,
    event.phase,
    event.round === undefined ? undefined : `r${event.round}`,
    event.seat,
    event.harness,
  ];
  const detail =
    event.status ??
    event.verdict ??
    event.decision ??
    event.name ??
    event.reason ??
    event.question ??
    event.answer ??
    event.message ??
    event.detail;
  const passed = event.passed === undefined ? "" : event.passed ? " passed" : " FAILED";
  return `${parts.filter(Boolean).join(" ")}${detail === undefined ? "" : ` ${detail}`}${passed}`;
}

function renderTimelineRow(event) {
  return h(
    "div",
    { "data-seq": event.seq },
    `${event.ts.slice(11, 19)} #${event.seq} ${event.type} `,
    describeEvent(event),
  );
}

/** The timeline: the newest events first, at most TIMELINE_ROWS of them. */
export function renderTimeline(model) {
  const rows = model.timeline.slice(-TIMELINE_ROWS).reverse().map(renderTimelineRow);
  return h(
    "section",
    { id: "timeline" },
    h("h2", {}, "Timeline"),
    h("div", { class: "timeline" }, rows),
  );
}

/**
 * Puts the events newer than the timeline's top row on top, dropping the oldest rows past
 * TIMELINE_ROWS. False when the rows on the page are not the model's (a new model): redraw it.
 */
export function updateTimeline(section, model) {
  const list = section.querySelector(".timeline");
  const newestSeq = Number(list.firstElementChild?.dataset.seq ?? 0);
  const oldestKept = model.timeline[0]?.seq ?? 0;
  if (newestSeq === 0 || newestSeq < oldestKept) return false;
  const fresh = [];
  for (let at = model.timeline.length - 1; at >= 0; at -= 1) {
    const event = model.timeline[at];
    if (event.seq <= newestSeq) break;
    fresh.push(renderTimelineRow(event));
  }
  list.prepend(...fresh.slice(0, TIMELINE_ROWS));
  while (list.childElementCount > TIMELINE_ROWS) list.lastElementChild.remove();
  return true;
}
