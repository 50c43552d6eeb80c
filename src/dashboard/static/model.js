// The page's picture of one run, folded from run.json, the board and the journal's events as
// they stream in. Each event is applied once, in seq order; nothing is re-read per event. Each
// apply marks what it touched (`model.dirty`, `model.dirtyTasks`) so the page redraws only that.

/** Statuses a task can have, in the board's column order. */
export const TASK_STATUSES = [
  "pending",
  "running",
  "retry_queued",
  "accepted",
  "merged",
  "needs_human",
  "failed",
  "cancelled",
];

/**
 * The parts of the page a run's model feeds, in page order (the runs list, in the sidebar, too):
 * what `model.dirty` holds.
 */
export const SECTIONS = [
  "header",
  "kpis",
  "tell",
  "attention",
  "lanes",
  "board",
  "plots",
  "timeline",
];

/** Most events kept for the timeline. */
const TIMELINE_MAX = 300;

/** Most lines of live output kept per agent lane. */
const TAIL_LINES = 4;

/** A new model from run.json and the board (null for runs without one). */
/**
 * A lane's key: one per task, phase (a pipeline's stage) and seat, so a pipeline's phases get
 * lanes of their own. Also its `data-lane` attribute.
 */
export function getLaneKey({ taskId, phase, seat }) {
  return phase ? `${taskId}/${phase}/${seat}` : `${taskId}/${seat}`;
}

export function createRunModel(run, board) {
  const tasks = new Map();
  for (const task of board?.tasks ?? []) tasks.set(task.id, { ...task });
  return {
    run: { ...run },
    // Board rows already fold in events up to this seq; later ones are applied here.
    boardSeq: board?.eventCount ?? 0,
    hasBoard: board !== null && board !== undefined,
    criticalPath: board?.criticalPath ?? [],
    budgetUsd: board?.totals.budgetUsd ?? run.options?.budgetUsd,
    tasks,
    lanes: new Map(),
    timeline: [],
    spend: [],
    merges: [],
    retries: 0,
    lastSeq: 0,
    firstTs: run.createdAt,
    // What changed since the page last drew it: section names (SECTIONS and "runs"), and the
    // board cards by task id. A new model is drawn whole.
    dirty: new Set([...SECTIONS, "runs"]),
    dirtyTasks: new Set(),
  };
}

/** Marks sections of the page as changed. */
function touch(model, ...sections) {
  for (const section of sections) model.dirty.add(section);
}

/** Folds one journal event into the model. */
export function applyEvent(model, event) {
  if (event.seq <= model.lastSeq) return;
  model.lastSeq = event.seq;
  model.timeline.push(event);
  if (model.timeline.length > TIMELINE_MAX) model.timeline.shift();
  model.run.updatedAt = event.ts;
  model.run.eventCount = event.seq;
  touch(model, "timeline");
  applyRunEvent(model, event);
  applyLaneEvent(model, event);
  if (model.hasBoard && event.seq > model.boardSeq) applyBoardEvent(model, event);
}

function applyRunEvent(model, event) {
  const run = model.run;
  switch (event.type) {
    case "dispatch.completed":
    case "dispatch.failed": {
      const cost = event.costUsd ?? 0;
      if (cost > 0 || event.type === "dispatch.completed") {
        const total = (model.spend.at(-1)?.total ?? 0) + cost;
        model.spend.push({ ts: event.ts, total });
        touch(model, "plots", "kpis", "runs");
      }
      break;
    }
    case "merge.completed":
      model.merges.push({ ts: event.ts, count: model.merges.length + 1 });
      touch(model, "plots", "kpis");
      break;
    case "merge.reverted":
      model.merges.push({ ts: event.ts, count: Math.max(0, model.merges.length - 1) });
      touch(model, "plots", "kpis");
      break;
    case "run.completed":
      run.status = event.status;
      run.reason = event.reason;
      touch(model, "header", "tell", "runs");
      break;
    case "run.paused":
      run.status = "paused";
      run.reason = event.reason;
      touch(model, "header", "tell", "runs");
      break;
    case "run.resumed":
      run.status = "running";
      touch(model, "header", "tell", "runs");
      break;
    case "ask.created":
      if (!run.openAskIds.includes(event.askId)) run.openAskIds.push(event.askId);
      touch(model, "header", "runs");
      break;
    case "ask.answered":
      run.openAskIds = run.openAskIds.filter((id) => id !== event.askId);
      touch(model, "header", "runs");
      break;
    case "task.status":
      if (event.status === "retry_queued") model.retries += 1;
      touch(model, "kpis");
      break;
    case "round.started":
      run.round = event.round;
      touch(model, "kpis");
      break;
    default:
      break;
  }
  if (model.spend.length > 0) run.costUsd = model.spend.at(-1).total;
}

/** An agent lane per task and seat: its last dispatch's state, cost and when it was last heard. */
function applyLaneEvent(model, event) {
  // A plan is checked before it is recorded: the planner's work stands once the plan does.
  if (event.type === "plan.created") {
    for (const lane of model.lanes.values())
      if (lane.seat === "planner" && lane.state === "done-unverified") lane.state = "verified";
    touch(model, "lanes");
    return;
  }
  if (event.taskId === undefined) return;
  const isDispatch = event.type.startsWith("dispatch.");
  const key = isDispatch ? getLaneKey(event) : undefined;
  if (isDispatch) {
    const lane = model.lanes.get(key) ?? {
      taskId: event.taskId,
      seat: event.seat,
      costUsd: 0,
      tail: [],
    };
    lane.harness = event.harness;
    lane.round = event.round;
    lane.phase = event.phase;
    lane.attempt = event.attempt ?? 1;
    lane.lastAtMs = Date.parse(event.ts);
    lane.state = {
      "dispatch.started": "working",
      "dispatch.completed": "done-unverified",
      // Killed by bosun's stall watch (silent, a hung or failing tool), or failed otherwise.
      "dispatch.failed": event.stall === undefined ? "failed" : "stalled",
      "dispatch.cancelled": "stopped",
    }[event.type];
    if (event.type === "dispatch.completed" || event.type === "dispatch.failed")
      lane.costUsd += event.costUsd ?? 0;
    model.lanes.set(key, lane);
    touch(model, "lanes", "kpis");
    return;
  }
  // What happens to a task after its agents ran says how their work stands.
  for (const lane of model.lanes.values()) {
    if (lane.taskId !== event.taskId) continue;
    const before = lane.state;
    if (event.type === "ask.created") lane.state = "needs input";
    else if (event.type === "round.completed" && lane.state !== "working")
      lane.state = event.verdict === "accept" ? "verified" : lane.state;
    else if (event.type === "task.status" && event.status === "merged") lane.state = "verified";
    if (lane.state !== before) touch(model, "lanes", "kpis");
  }
}

/** The events that change a board card (applyBoardEvent's cases). */
const BOARD_EVENTS = new Set([
  "task.status",
  "round.started",
  "dispatch.started",
  "dispatch.completed",
  "dispatch.failed",
  "merge.completed",
  "ask.created",
  "ask.answered",
]);

function applyBoardEvent(model, event) {
  const task = event.taskId === undefined ? undefined : model.tasks.get(event.taskId);
  if (event.type === "plan.created") {
    // The plan arrived after the board was read: the page reads the board again for its rows.
    if (model.tasks.size === 0) model.needsBoard = true;
    return;
  }
  if (task === undefined) return;
  // Events of a task that its card does not show (gates, checkpoints) change nothing here.
  if (!BOARD_EVENTS.has(event.type)) return;
  model.dirtyTasks.add(task.id);
  touch(model, "kpis");
  switch (event.type) {
    case "task.status":
      task.status = event.status;
      task.reason = event.reason;
      task.retryAt = event.retryAt;
      // The stuck rows and the list of workers to tell follow a task's status.
      touch(model, "attention", "tell");
      if (event.status === "merged") {
        for (const other of model.tasks.values()) {
          if (!other.blockedBy.includes(task.id)) continue;
          other.blockedBy = other.blockedBy.filter((id) => id !== task.id);
          model.dirtyTasks.add(other.id);
        }
      }
      break;
    case "round.started":
      task.round = event.round;
      break;
    case "dispatch.started":
      if (event.seat === "worker") task.harness = event.harness;
      break;
    case "dispatch.completed":
    case "dispatch.failed":
      task.costUsd += event.costUsd ?? 0;
      break;
    case "merge.completed":
      task.mergedCommit = event.commit;
      break;
    case "ask.created":
      if (!task.openAskIds.includes(event.askId)) task.openAskIds.push(event.askId);
      break;
    case "ask.answered":
      task.openAskIds = task.openAskIds.filter((id) => id !== event.askId);
      break;
    default:
      break;
  }
}

/** A live agent.output event (runs this dashboard drives): the lane's last lines. */
export function applyLiveEvent(model, event) {
  if (event.type !== "agent.output") return;
  const lane = model.lanes.get(getLaneKey(event));
  if (lane === undefined) return;
  lane.lastAtMs = Date.now();
  touch(model, "lanes");
  const text = describeAgentEvent(event.event);
  if (text === "") return;
  lane.tail.push(text);
  if (lane.tail.length > TAIL_LINES) lane.tail.shift();
}

/** One line of a tail for an agent event ("" for those a tail does not show). */
export function describeAgentEvent(agentEvent) {
  switch (agentEvent?.type) {
    case "text":
    case "final":
      return agentEvent.text.split("\n")[0].slice(0, 160);
    case "tool.use":
      return `${agentEvent.tool}: ${agentEvent.summary}`.slice(0, 160);
    case "file.edit":
      return `${agentEvent.kind} ${agentEvent.path}`;
    case "error":
      return `error: ${agentEvent.message}`.slice(0, 160);
    case "tool.result":
      return agentEvent.isError ? `tool failed: ${agentEvent.output ?? ""}`.slice(0, 160) : "";
    // A line the harness's parser did not know (or a harness this config lacks): as written.
    case "unknown":
      return agentEvent.raw.slice(0, 160);
    default:
      return "";
  }
}

/** The run's numbers for the KPI bar. */
export function getKpis(model) {
  const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0]));
  let blocked = 0;
  for (const task of model.tasks.values()) {
    counts[task.status] += 1;
    if (task.status === "pending" && task.blockedBy.length > 0) blocked += 1;
  }
  const total = model.tasks.size;
  const done = counts.merged + counts.failed + counts.cancelled;
  const active = [...model.lanes.values()].filter((lane) => lane.state === "working").length;
  const spent = model.run.costUsd ?? 0;
  const ratio = model.budgetUsd ? spent / model.budgetUsd : 0;
  const startMs = Date.parse(model.firstTs);
  const lastMerge = model.merges.at(-1);
  let etaMin;
  if (lastMerge !== undefined && counts.merged > 0 && total > done) {
    const perTaskMs = (Date.parse(lastMerge.ts) - startMs) / counts.merged;
    etaMin = Math.round((perTaskMs * (total - done)) / 60_000);
  }
  return {
    total,
    progress: total === 0 ? undefined : Math.round((100 * done) / total),
    active,
    inProgress: counts.running + counts.accepted,
    blocked,
    escalated: counts.needs_human,
    failed: counts.failed,
    retries: model.retries,
    spent,
    budget: model.budgetUsd,
    spendLevel: ratio >= 0.95 ? "red" : ratio >= 0.8 ? "amber" : "",
    etaMin,
  };
}
