// The page: loads the runs list, follows the selected run's journal over SSE (the browser's
// EventSource resumes after the last seq it saw by itself), and renders at most once a frame.
import { applyEvent, applyLiveEvent, createRunModel } from "./model.js";
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
};

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
  const sections = renderRun(state.model, state.asks, handlers, Date.now()).filter(Boolean);
  const key = JSON.stringify(state.asks.map((item) => [item.ask.id, item.isOpen]));
  if (keptAsks !== null && key === state.attentionKey) {
    for (const section of sections) section.querySelector("#asks")?.replaceWith(keptAsks);
  }
  main.replaceChildren(...sections);
  state.attentionKey = key;
  document.body.dataset.lastSeq = String(state.model.lastSeq);
}

async function loadRuns() {
  const { runs } = await api("/api/runs");
  state.runs = runs;
  // The first run of a repository that had none: show it as it starts.
  if (state.selectedId === undefined && runs.length > 0) await selectRun(runs[0].id);
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
  if (!isReload) state.hasReloadedBoard = false;
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

const handlers = {
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
  const wanted = /^#run=(.+)$/.exec(location.hash)?.[1];
  state.runs = (await api("/api/runs")).runs;
  const first = state.runs.find((run) => run.id === wanted) ?? state.runs[0];
  if (first !== undefined) await selectRun(first.id);
  requestRender();
  watchStore();
  // A clock for the idle timers only: the data itself arrives by events.
  setInterval(() => {
    if (state.model !== undefined) requestRender();
  }, 1000);
}

start().catch((error) => notify(error.message));
