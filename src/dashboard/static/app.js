// The page: loads the runs list, follows the selected run's journal over SSE (the browser's
// EventSource resumes after the last seq it saw by itself), and renders at most once a frame.
// Diffs and agent tails are opened by hand; both need the dashboard's token.
import { applyEvent, applyLiveEvent, createRunModel, describeAgentEvent } from "./model.js";
import { h, renderRun, renderRuns } from "./view.js";

const state = {
  runs: [],
  selectedId: undefined,
  model: undefined,
  asks: [],
  stream: undefined,
  isDirty: false,
  // The asks last rendered (see render).
  attentionKey: "",
  // What the person opened in the selected run: diffs by task id, live tails by lane key.
  views: { diffs: new Map(), tails: new Map() },
};

/** Most lines of an opened agent tail kept on the page. */
const LIVE_TAIL_LINES = 40;

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

function requestRender() {
  if (state.isDirty) return;
  state.isDirty = true;
  requestAnimationFrame(render);
}

function render() {
  state.isDirty = false;
  // The selected run's row from its live model: run.json is rewritten a moment after each event.
  const live = state.model?.run;
  const runs = state.runs.map((run) =>
    run.id === live?.id
      ? { ...run, status: live.status, costUsd: live.costUsd, openAskIds: live.openAskIds }
      : run,
  );
  $("runs").replaceChildren(...renderRuns(runs, state.selectedId, selectRun));
  const main = $("run");
  if (state.model === undefined) {
    if (state.runs.length === 0)
      main.replaceChildren(h("p", { class: "muted" }, "No runs in this repository yet."));
    return;
  }
  // The asks' forms are kept while the asks are the same, so a note being typed survives.
  const keptAsks = $("asks");
  const sections = renderRun(state.model, state.asks, handlers, Date.now(), state.views).filter(
    Boolean,
  );
  const key = JSON.stringify(state.asks.map((item) => [item.ask.id, item.isOpen]));
  if (keptAsks !== null && key === state.attentionKey) {
    for (const section of sections) section.querySelector("#asks")?.replaceWith(keptAsks);
  }
  replaceSections(main, sections);
  state.attentionKey = key;
  document.body.dataset.lastSeq = String(state.model.lastSeq);
}

/**
 * Puts the new sections up. A section holding the field a person is typing in stays as it is
 * until they leave it: taking it out of the page, even for a moment, would take their focus,
 * and the idle timers' clock renders every second. Leaving the field renders again.
 */
function replaceSections(main, sections) {
  const focused = document.activeElement;
  const isTyping =
    focused !== null &&
    main.contains(focused) &&
    ["INPUT", "TEXTAREA", "SELECT"].includes(focused.tagName);
  const kept = isTyping
    ? [...main.children].find((section) => section.contains(focused))
    : undefined;
  const at = kept === undefined ? -1 : sections.findIndex((section) => section.id === kept.id);
  if (kept === undefined || kept.id === "" || at === -1) {
    main.replaceChildren(...sections);
    return;
  }
  while (main.firstChild !== kept) main.firstChild.remove();
  while (kept.nextSibling !== null) kept.nextSibling.remove();
  kept.before(...sections.slice(0, at));
  kept.after(...sections.slice(at + 1));
}

async function loadRuns() {
  const { runs } = await api("/api/runs");
  state.runs = runs;
  // The first run of a repository that had none: show it as it starts.
  const readable = runs.find((run) => run.status !== "damaged");
  if (state.selectedId === undefined && readable !== undefined) await selectRun(readable.id);
  requestRender();
}

async function loadAsks() {
  if (state.selectedId === undefined) return;
  const { asks } = await api(`/api/asks?run=${encodeURIComponent(state.selectedId)}`);
  state.asks = asks;
  requestRender();
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
  state.attentionKey = "";
  await loadAsks();
  openStream(runId);
  requestRender();
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
    followViews(event);
    if (event.type === "ask.created" || event.type === "ask.answered") void loadAsks();
    if (event.type.startsWith("run.")) void loadRuns();
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
    const lane = state.model.lanes.get(`${event.taskId}/${event.seat}`);
    if (lane !== undefined && tails.has(`${lane.taskId}/${lane.seat}`)) openTail(lane);
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
  requestRender();
}

/** Follows a lane's current attempt's agent.log (any process's agent) until closed. */
function openTail(lane) {
  const key = `${lane.taskId}/${lane.seat}`;
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
    requestRender();
  });
  source.addEventListener("failure", (message) => {
    tail.error = JSON.parse(message.data).message;
    source.close();
    requestRender();
  });
  source.addEventListener("error", () => {
    // A refused stream is closed for good (an EventSource does not say why): ask the server.
    if (source.readyState !== EventSource.CLOSED) return;
    void explainRefusal(url).then((reason) => {
      tail.error = reason;
      requestRender();
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
    requestRender();
  },
  toggleTail: (lane) => {
    const key = `${lane.taskId}/${lane.seat}`;
    const open = state.views.tails.get(key);
    if (open === undefined) openTail(lane);
    else {
      open.source.close();
      state.views.tails.delete(key);
    }
    requestRender();
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
    else void loadAsks();
  });
}

async function start() {
  // A section kept while a person typed in it (see replaceSections) catches up once they leave.
  $("run").addEventListener("focusout", () => requestRender());
  const wanted = /^#run=(.+)$/.exec(location.hash)?.[1];
  state.runs = (await api("/api/runs")).runs;
  // A damaged run (its run.json unreadable) is listed with its error, never opened first.
  const first =
    state.runs.find((run) => run.id === wanted) ??
    state.runs.find((run) => run.status !== "damaged");
  if (first !== undefined) await selectRun(first.id);
  requestRender();
  watchStore();
  // A clock for the idle timers only: the data itself arrives by events.
  setInterval(() => {
    if (state.model !== undefined) requestRender();
  }, 1000);
}

start().catch((error) => notify(error.message));
