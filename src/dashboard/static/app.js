// The page: loads the runs list, follows the selected run's journal over SSE (the browser's
// EventSource resumes after the last seq it saw by itself), and renders at most once a frame,
// only the sections the model marked changed; the clock moves the idle timers in place.
// Diffs and agent tails are opened by hand; both need the dashboard's token. The pulse's panel
// is read again whenever the server says one of its files changed, and drawn part by part.
import { renderBoard, updateBoardCards } from "./board.js";
import {
  SECTIONS,
  applyEvent,
  applyLiveEvent,
  createRunModel,
  describeAgentEvent,
  getLaneKey,
} from "./model.js";
import { renderPulse } from "./pulse.js";
import {
  h,
  renderAttention,
  renderHeader,
  renderKpis,
  renderLanes,
  renderPlots,
  renderRuns,
  renderTell,
  renderTimeline,
  updateIdleTimers,
  updateTimeline,
} from "./view.js";

const state = {
  runs: [],
  selectedId: undefined,
  model: undefined,
  asks: [],
  stream: undefined,
  isDirty: false,
  // The model the sections on the page were drawn from (a new one is drawn whole).
  drawnModel: undefined,
  // The journal's length when the run was selected: until the replay reaches it, the page
  // renders on the clock's ticks, not per frame (see requestRender).
  replayUntilSeq: 0,
  // When the plots' time axis was last drawn (it runs to now).
  plotsAtMs: 0,
  // The asks last rendered (see renderSection).
  attentionKey: "",
  // What the person opened in the selected run: diffs by task id, live tails by lane key.
  views: { diffs: new Map(), tails: new Map() },
  // A pointer is pressed on the page: drawing waits for its release (see render), and is then due.
  isPointerDown: false,
  isRenderDueOnRelease: false,
  // The pulse: its last status (null: none here), its parts on the page (part → data as JSON),
  // a read in flight and whether another is due after it, and when it was last read.
  pulse: {
    state: null,
    drawn: new Map(),
    isLoading: false,
    isDue: false,
    isDrawDue: false,
    atMs: 0,
  },
};

/** Most lines of an opened agent tail kept on the page. */
const LIVE_TAIL_LINES = 40;

/** How often the clock redraws the plots, whose time axis runs to now. */
const PLOTS_REDRAW_MS = 10_000;

/**
 * How often the clock reads the pulse again with no file changed: a daemon killed with -9 and a
 * worker gone silent (stuck) change nothing on disk.
 */
const PULSE_REFRESH_MS = 10_000;

/** A section's element id, by its name in `model.dirty`. */
const SECTION_IDS = Object.fromEntries(
  SECTIONS.map((name) => [name, name === "header" ? "run-header" : name]),
);

const $ = (id) => document.getElementById(id);

async function api(path, init) {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function notify(text) {
  $("notice").textContent = text;
}

/** Marks parts of the page changed outside the model (asks, opened views, the runs list). */
function markDirty(...sections) {
  for (const section of sections) state.model?.dirty.add(section);
  if (sections.includes("runs")) state.isRunsDirty = true;
  requestRender();
}

function requestRender() {
  if (state.isDirty) return;
  // Replaying the journal of the selected run: applied in one batch, drawn once caught up (and
  // on each clock tick before then, so a long replay shows progress).
  if (isReplaying()) return;
  scheduleRender();
}

function isReplaying() {
  const { model } = state;
  return model !== undefined && state.drawnModel === model && model.lastSeq < state.replayUntilSeq;
}

function scheduleRender() {
  if (state.isDirty) return;
  state.isDirty = true;
  requestAnimationFrame(render);
}

function render() {
  state.isDirty = false;
  // Sections redrawn between a press and its release move what is under the pointer (a form left
  // by this very press catches up, a diff opens above): the release lands elsewhere and the
  // click is lost. Drawn once the pointer is up, after its click was handled.
  if (state.isPointerDown) {
    state.isRenderDueOnRelease = true;
    return;
  }
  const { model } = state;
  if (model?.dirty.delete("runs")) state.isRunsDirty = true;
  if (state.isRunsDirty) {
    state.isRunsDirty = false;
    // The selected run's row from its live model: run.json is rewritten a moment after each event.
    const live = model?.run;
    const runs = state.runs.map((run) =>
      run.id === live?.id
        ? { ...run, status: live.status, costUsd: live.costUsd, openAskIds: live.openAskIds }
        : run,
    );
    $("runs").replaceChildren(...renderRuns(runs, state.selectedId, selectRun));
  }
  const main = $("run");
  if (model === undefined) {
    if (state.runs.length === 0)
      main.replaceChildren(h("p", { class: "muted" }, "No runs in this repository yet."));
    return;
  }
  replaceSections(main, model);
  document.body.dataset.lastSeq = String(model.lastSeq);
}

/**
 * Puts up the sections the model marked changed, each in its place; a new model is drawn whole.
 * A section holding the field a person is typing in stays as it is (and marked changed) until
 * they leave it: taking it out of the page, even for a moment, would take their focus. Leaving
 * the field renders again.
 */
function replaceSections(main, model) {
  const isNew = state.drawnModel !== model;
  if (isNew) {
    state.drawnModel = model;
    for (const name of SECTIONS) model.dirty.add(name);
    // What stood there before a run was drawn ("Loading runs…").
    const ids = new Set(Object.values(SECTION_IDS));
    for (const child of [...main.children]) if (!ids.has(child.id)) child.remove();
  }
  const typedIn = findTypedInSection(main);
  const nowMs = Date.now();
  for (const name of SECTIONS) {
    const id = SECTION_IDS[name];
    const isBoardCards = name === "board" && model.dirtyTasks.size > 0;
    if (!model.dirty.has(name) && !isBoardCards) continue;
    if (typedIn !== undefined && typedIn.id === id) continue;
    const current = main.querySelector(`:scope > #${id}`);
    if (!isNew && current !== null && updateSection(name, current, model)) {
      model.dirty.delete(name);
      continue;
    }
    placeSection(main, id, current, renderSection(name, model, nowMs));
    model.dirty.delete(name);
    if (name === "board") model.dirtyTasks.clear();
  }
}

/**
 * The section a person is filling in: the focused element is a field, or anything of a form (its
 * submit button takes the focus on mousedown; redrawing it before mouseup would lose the click).
 */
function findTypedInSection(main) {
  const focused = document.activeElement;
  const isTyping =
    focused !== null &&
    main.contains(focused) &&
    (["INPUT", "TEXTAREA", "SELECT"].includes(focused.tagName) || focused.closest("form") !== null);
  return isTyping ? [...main.children].find((section) => section.contains(focused)) : undefined;
}

/**
 * Changes a drawn section in place where only part of it changed: the board's cards, the
 * timeline's newest rows. False when it has to be drawn whole.
 */
function updateSection(name, current, model) {
  if (name === "timeline") return updateTimeline(current, model);
  if (name !== "board" || model.dirty.has("board")) return false;
  const isDone = updateBoardCards(current, model, model.dirtyTasks, handlers, state.views);
  if (isDone) model.dirtyTasks.clear();
  return isDone;
}

function renderSection(name, model, nowMs) {
  const { views, asks } = state;
  switch (name) {
    case "header":
      return renderHeader(model, handlers);
    case "kpis":
      return renderKpis(model);
    case "tell":
      return renderTell(model, handlers);
    case "attention": {
      const section = renderAttention(model, asks, handlers, views);
      // The asks' forms are kept while the asks are the same, so a note being typed survives.
      const kept = $("asks");
      const key = JSON.stringify(asks.map((item) => [item.ask.id, item.isOpen]));
      if (kept !== null && key === state.attentionKey)
        section.querySelector("#asks").replaceWith(kept);
      state.attentionKey = key;
      return section;
    }
    case "lanes":
      return renderLanes(model, nowMs, handlers, views);
    case "board":
      return model.hasBoard ? renderBoard(model, handlers, views) : undefined;
    case "plots":
      state.plotsAtMs = nowMs;
      return renderPlots(model, nowMs);
    case "timeline":
      return renderTimeline(model);
    default:
      return undefined;
  }
}

/** Puts `node` where section `id` is (or removes it), else before the next section drawn. */
function placeSection(main, id, current, node) {
  if (current !== null) {
    if (node === undefined) current.remove();
    else current.replaceWith(node);
    return;
  }
  if (node === undefined) return;
  const later = Object.values(SECTION_IDS).slice(Object.values(SECTION_IDS).indexOf(id) + 1);
  const next = [...main.children].find((child) => later.includes(child.id)) ?? null;
  main.insertBefore(node, next);
}

/** The clock's tick: idle timers in place, the plots' time axis now and then; nothing else. */
function tick() {
  if (state.pulse.state !== null && Date.now() - state.pulse.atMs >= PULSE_REFRESH_MS)
    void loadPulse();
  const { model } = state;
  if (model === undefined || state.drawnModel !== model) return;
  if (isReplaying()) {
    scheduleRender();
    return;
  }
  const nowMs = Date.now();
  updateIdleTimers($("run"), nowMs);
  if (nowMs - state.plotsAtMs >= PLOTS_REDRAW_MS) markDirty("plots");
}

async function loadRuns() {
  const { runs } = await api("/api/runs");
  state.runs = runs;
  // The first run of a repository that had none: show it as it starts.
  const readable = runs.find((run) => run.status !== "damaged");
  if (state.selectedId === undefined && readable !== undefined) await selectRun(readable.id);
  markDirty("runs");
}

/** Reads the pulse's status (one read at a time; a change during one earns one more after it). */
async function loadPulse() {
  const { pulse } = state;
  if (pulse.isLoading) {
    pulse.isDue = true;
    return;
  }
  pulse.isLoading = true;
  try {
    do {
      pulse.isDue = false;
      pulse.atMs = Date.now();
      pulse.state = (await api("/api/pulse")).state;
      if (!pulse.isDrawDue) {
        pulse.isDrawDue = true;
        requestAnimationFrame(() => {
          pulse.isDrawDue = false;
          renderPulse($("pulse"), pulse.state, pulse.drawn, handlers);
        });
      }
    } while (pulse.isDue);
  } catch (error) {
    notify(error.message);
  } finally {
    pulse.isLoading = false;
  }
}

async function loadAsks() {
  if (state.selectedId === undefined) return;
  const { asks } = await api(`/api/asks?run=${encodeURIComponent(state.selectedId)}`);
  state.asks = asks;
  markDirty("attention");
}

async function selectRun(runId, { isReload = false } = {}) {
  state.stream?.close();
  if (!isReload) {
    state.hasReloadedBoard = false;
    closeViews();
  }
  state.selectedId = runId;
  history.replaceState(null, "", `#run=${runId}`);
  const [{ run }, { board }] = await Promise.all([
    api(`/api/runs/${runId}`),
    api(`/api/runs/${runId}/board`).catch(() => ({ board: null })),
  ]);
  state.model = createRunModel(run, board);
  state.replayUntilSeq = run.eventCount ?? 0;
  state.attentionKey = "";
  await loadAsks();
  openStream(runId);
  markDirty("runs");
}

/** The journal from its start (the timeline and plots need it), then live. */
function openStream(runId) {
  const stream = new EventSource(`/api/runs/${runId}/stream?since=0`);
  state.stream = stream;
  stream.addEventListener("ready", () => {
    $("connection").textContent = "live";
  });
  stream.addEventListener("message", (message) => {
    if (state.stream !== stream) return;
    const event = JSON.parse(message.data);
    applyEvent(state.model, event);
    // What the page loaded with the run already holds the replayed events' effects.
    const isReplayed = event.seq <= state.replayUntilSeq;
    if (!isReplayed) {
      followViews(event);
      if (event.type === "ask.created" || event.type === "ask.answered") void loadAsks();
      if (event.type.startsWith("run.")) void loadRuns();
    }
    if (state.model.needsBoard) void reloadBoard(runId);
    requestRender();
  });
  stream.addEventListener("live", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "warning") notify(event.message);
    else applyLiveEvent(state.model, event);
    requestRender();
  });
  stream.addEventListener("failure", (message) => {
    notify(JSON.parse(message.data).message);
    stream.close();
  });
  stream.addEventListener("error", () => {
    $("connection").textContent = "reconnecting…";
  });
}

/**
 * The plan arrived after the board was read: start the run's view again (board and journal),
 * once per selection, so every task row is there with all its events applied in order.
 */
async function reloadBoard(runId) {
  state.model.needsBoard = false;
  if (state.hasReloadedBoard || state.selectedId !== runId) return;
  state.hasReloadedBoard = true;
  await selectRun(runId, { isReload: true });
}

/** Closes every opened diff and tail (another run is shown). */
function closeViews() {
  for (const tail of state.views.tails.values()) tail.source.close();
  state.views.tails.clear();
  state.views.diffs.clear();
}

/** Keeps what is open current: a task's diff after its work changed, a tail on a new attempt. */
function followViews(event) {
  const { diffs, tails } = state.views;
  const isChange =
    event.type === "checkpoint.created" ||
    event.type === "merge.completed" ||
    event.type === "merge.reverted";
  if (isChange && diffs.has(event.taskId)) void loadDiff(state.selectedId, event.taskId);
  if (event.type === "dispatch.started") {
    const lane = state.model.lanes.get(getLaneKey(event));
    if (lane !== undefined && tails.has(getLaneKey(lane))) openTail(lane);
  }
}

async function loadDiff(runId, taskId) {
  const url = `/api/runs/${runId}/diff?task=${encodeURIComponent(taskId)}`;
  let entry;
  try {
    entry = { text: (await api(url)).diff };
  } catch (error) {
    entry = { error: error.message };
  }
  // Closed, or another run shown, while it loaded.
  if (state.selectedId !== runId || !state.views.diffs.has(taskId)) return;
  state.views.diffs.set(taskId, entry);
  markDirty("board", "attention");
}

/** Follows a lane's current attempt's agent.log (any process's agent) until closed. */
function openTail(lane) {
  const key = getLaneKey(lane);
  const previous = state.views.tails.get(key);
  previous?.source.close();
  const params = {
    task: lane.taskId,
    seat: lane.seat,
    round: lane.round,
    attempt: lane.attempt ?? 1,
    phase: lane.phase,
    harness: lane.harness,
  };
  const query = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join("&");
  const url = `/api/runs/${state.selectedId}/log/stream?${query}`;
  const source = new EventSource(url);
  const lines = previous === undefined ? [] : [...previous.lines, `— round ${lane.round} —`];
  const tail = { source, lines };
  state.views.tails.set(key, tail);
  source.addEventListener("output", (message) => {
    for (const agentEvent of JSON.parse(message.data).events) {
      const text = describeAgentEvent(agentEvent);
      if (text !== "") tail.lines.push(text);
    }
    tail.lines.splice(0, Math.max(0, tail.lines.length - LIVE_TAIL_LINES));
    markDirty("lanes");
  });
  source.addEventListener("failure", (message) => {
    tail.error = JSON.parse(message.data).message;
    source.close();
    markDirty("lanes");
  });
  source.addEventListener("error", () => {
    // A refused stream is closed for good (an EventSource does not say why): ask the server.
    if (source.readyState !== EventSource.CLOSED) return;
    void explainRefusal(url).then((reason) => {
      tail.error = reason;
      markDirty("lanes");
    });
  });
}

/** Why the server refused a stream: its error message (the token's, for one). */
async function explainRefusal(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.ok) {
    await response.body?.cancel();
    return "The log's stream closed; open the tail again.";
  }
  const body = await response.json().catch(() => ({}));
  return body.error ?? `${response.status} ${response.statusText}`;
}

const handlers = {
  toggleDiff: (taskId) => {
    const { diffs } = state.views;
    if (diffs.has(taskId)) diffs.delete(taskId);
    else {
      diffs.set(taskId, {});
      void loadDiff(state.selectedId, taskId);
    }
    markDirty("board", "attention");
  },
  toggleTail: (lane) => {
    const key = getLaneKey(lane);
    const open = state.views.tails.get(key);
    if (open === undefined) openTail(lane);
    else {
      open.source.close();
      state.views.tails.delete(key);
    }
    markDirty("lanes");
  },
  answer: async (askId, answer, note) => {
    try {
      const result = await api(`/api/asks/${encodeURIComponent(askId)}/answer`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answer, ...(note ? { note } : {}) }),
      });
      notify(result.message);
      await loadAsks();
    } catch (error) {
      notify(error.message);
    }
  },
  stop: async (runId) => {
    notify(`Stopping ${runId}…`);
    try {
      const result = await api(`/api/runs/${runId}/stop`, { method: "POST" });
      notify(
        result.wasRunning ? `Stopped ${runId} (${result.status}).` : `${runId} was not running.`,
      );
    } catch (error) {
      notify(error.message);
    }
  },
  tell: async (runId, taskId, text) => {
    try {
      const result = await api(`/api/runs/${runId}/tell`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, ...(taskId === undefined ? {} : { taskId }) }),
      });
      notify(result.message);
      return true;
    } catch (error) {
      notify(error.message);
      return false;
    }
  },
  settlePulse: async (decisionId, isReject, only) => {
    const verb = isReject ? "reject" : "approve";
    const moves = only === undefined ? "every held move" : `move #${only.join(", #")}`;
    notify(`${isReject ? "Rejecting" : "Approving"} ${moves} of ${decisionId}…`);
    try {
      const { decision } = await api(
        `/api/pulse/decisions/${encodeURIComponent(decisionId)}/${verb}`,
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(only === undefined ? {} : { only }),
        },
      );
      const done = decision.actions
        .filter(
          (item) =>
            item.decidedBy !== undefined && (only === undefined || only.includes(item.index)),
        )
        .map((item) => `#${item.index} ${item.status}`);
      notify(`${decisionId}: ${done.join(", ")}`);
    } catch (error) {
      notify(error.message);
    }
    await loadPulse();
  },
  approve: async (runId) => {
    try {
      await api(`/api/runs/${runId}/approve`, { method: "POST" });
      notify(`Plan approved; ${runId} continues.`);
    } catch (error) {
      notify(error.message);
    }
  },
};

/** New runs and asks, from the server's watch of .bosun/. */
function watchStore() {
  const stream = new EventSource("/api/stream");
  stream.addEventListener("ready", () => {
    if (state.stream === undefined) $("connection").textContent = "live";
  });
  stream.addEventListener("changed", (message) => {
    const { change } = JSON.parse(message.data);
    if (change === "runs") void loadRuns();
    else if (change === "pulse") void loadPulse();
    else {
      void loadAsks();
      // The pulse's asks are part of its status.
      if (state.pulse.state !== null) void loadPulse();
    }
  });
}

async function start() {
  // A section kept while a person typed in it (see replaceSections) catches up once they leave.
  $("run").addEventListener("focusout", () => requestRender());
  const release = () => {
    state.isPointerDown = false;
    if (!state.isRenderDueOnRelease) return;
    state.isRenderDueOnRelease = false;
    // The click comes right after the release, in the same task: the next frame is after it.
    scheduleRender();
  };
  document.addEventListener("pointerdown", () => (state.isPointerDown = true), true);
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);
  // Released outside the window: no pointerup comes.
  window.addEventListener("blur", release);
  const wanted = /^#run=(.+)$/.exec(location.hash)?.[1];
  state.runs = (await api("/api/runs")).runs;
  // A damaged run (its run.json unreadable) is listed with its error, never opened first.
  const first =
    state.runs.find((run) => run.id === wanted) ??
    state.runs.find((run) => run.status !== "damaged");
  if (first !== undefined) await selectRun(first.id);
  requestRender();
  watchStore();
  await loadPulse();
  // A clock for the idle timers only: the data itself arrives by events.
  setInterval(tick, 1000);
}

start().catch((error) => notify(error.message));
