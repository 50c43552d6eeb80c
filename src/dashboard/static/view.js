// Rendering: functions from the page's state to DOM nodes. Text always goes in as text nodes
// (never as HTML), so whatever a run or an agent wrote cannot become markup.
import { TASK_STATUSES, getKpis } from "./model.js";
import { renderCostPlot, renderThroughputPlot } from "./plots.js";

/** Idle seconds after which a working agent's timer turns amber, then red. */
const IDLE_AMBER_SEC = 60;
const IDLE_RED_SEC = 300;

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

function usd(value) {
  return `$${(value ?? 0).toFixed(value >= 10 ? 2 : 4)}`;
}

function statusBadge(status) {
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

/**
 * One run: header, KPIs, needs attention, swimlanes, board, plots, timeline. `views` holds what
 * the person opened: task diffs (`diffs`, by task id) and live agent tails (`tails`, by lane).
 */
export function renderRun(model, asks, handlers, nowMs, views) {
  const { run } = model;
  const planAskId = `ask-${run.id}-plan`;
  return [
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
    renderKpis(model),
    renderTell(model, handlers),
    renderAttention(model, asks, handlers, views),
    renderLanes(model, nowMs, handlers, views),
    model.hasBoard ? renderBoard(model, handlers, views) : undefined,
    h(
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
    ),
    renderTimeline(model),
  ];
}

/** Run statuses after which no worker of the run runs again: nothing to tell. */
const FINISHED_STATUSES = new Set(["succeeded", "cancelled"]);

/** Team task statuses whose worker does not run again. */
const DONE_TASK_STATUSES = new Set(["merged", "failed", "cancelled"]);

/**
 * Tell a worker (`bosun tell`): a message for the next worker prompt of a task, or of whichever
 * task's worker runs next. Only while the run can still run a worker.
 */
function renderTell(model, handlers) {
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

function renderKpis(model) {
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

function renderAttention(model, asks, handlers, views) {
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

function renderLanes(model, nowMs, handlers, views) {
  const lanes = [...model.lanes.values()].sort(
    (a, b) =>
      Number(b.state === "working") - Number(a.state === "working") || b.lastAtMs - a.lastAtMs,
  );
  const rows = lanes.slice(0, 24).map((lane) => {
    const idleSec = Math.max(0, Math.round((nowMs - lane.lastAtMs) / 1000));
    const level =
      lane.state !== "working"
        ? ""
        : idleSec >= IDLE_RED_SEC
          ? "red"
          : idleSec >= IDLE_AMBER_SEC
            ? "amber"
            : "";
    const key = `${lane.taskId}/${lane.seat}`;
    const tail = views.tails.get(key);
    // Silent past the red mark (bosun's default stall limit): stalled, whatever it says it does.
    const state = level === "red" ? "stalled" : lane.state;
    return h(
      "div",
      { class: "lane", "data-lane": key, "data-state": state },
      h("span", {}, lane.taskId + (lane.phase ? ` · ${lane.phase}` : "")),
      h("span", {}, lane.seat),
      h("span", { class: "muted" }, lane.harness ?? ""),
      h("span", {}, state),
      h(
        "span",
        { class: `idle ${level}`, title: "since last heard" },
        lane.state === "working" ? `${idleSec}s` : "",
      ),
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

function renderBoard(model, handlers, views) {
  const critical = new Set(model.criticalPath);
  const columns = TASK_STATUSES.map((status) => {
    const tasks = [...model.tasks.values()].filter((task) => task.status === status);
    if (tasks.length === 0 && !["pending", "running", "merged"].includes(status)) return undefined;
    return h(
      "div",
      { class: "column", "data-column": status },
      h("h3", { class: `s-${status}` }, `${status.replace("_", " ")} (${tasks.length})`),
      tasks.map((task) =>
        h(
          "div",
          {
            class: `card${critical.has(task.id) ? " critical" : ""}`,
            "data-task": task.id,
            "data-status": task.status,
          },
          h("b", {}, `${critical.has(task.id) ? "★ " : ""}${task.id}`),
          ` ${task.title}`,
          h(
            "small",
            {},
            `${task.role} · ${task.harness ?? "–"} · round ${task.round} · ${usd(task.costUsd)}`,
          ),
          task.dependsOn.map((dep) =>
            h(
              "span",
              { class: `chip${task.blockedBy.includes(dep) ? "" : " done"}`, title: "depends on" },
              `⤷ ${dep}`,
            ),
          ),
          task.reason ? h("small", {}, task.reason) : undefined,
          diffToggle(task.id, handlers, views),
        ),
      ),
    );
  });
  // An opened card's diff goes below the columns, where it has the section's whole width.
  const opened = [...views.diffs.keys()].filter((id) => model.tasks.has(id));
  return h(
    "section",
    { id: "board" },
    h("h2", {}, "Board"),
    h("div", { class: "board" }, columns),
    opened.map((id) =>
      h("div", { class: "board-diff" }, h("h3", {}, `Diff of ${id}`), renderDiff(id, views)),
    ),
  );
}

function diffToggle(taskId, handlers, views) {
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
function renderDiff(taskId, views) {
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

function renderTimeline(model) {
  const rows = [...model.timeline]
    .reverse()
    .map((event) =>
      h(
        "div",
        { "data-seq": event.seq },
        `${event.ts.slice(11, 19)} #${event.seq} ${event.type} `,
        describeEvent(event),
      ),
    );
  return h(
    "section",
    { id: "timeline" },
    h("h2", {}, "Timeline"),
    h("div", { class: "timeline" }, rows),
  );
}
