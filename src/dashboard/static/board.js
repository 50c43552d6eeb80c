// The board: a column per task status, a card per task. Drawn whole once per model; after that an
// event redraws only the cards it touched (model.dirtyTasks), each found by its task id.
import { TASK_STATUSES } from "./model.js";
import { diffToggle, h, renderDiff, usd } from "./view.js";

/** Columns shown even when empty. */
const ALWAYS_SHOWN = new Set(["pending", "running", "merged"]);

/** The cards of a drawn board section, by task id. */
const cardsBySection = new WeakMap();

function renderCard(task, critical, handlers, views) {
  return h(
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
  );
}

function columnTitle(status, count) {
  return `${status.replace("_", " ")} (${count})`;
}

/** The whole board section, with the diffs the person opened below it. */
export function renderBoard(model, handlers, views) {
  const critical = new Set(model.criticalPath);
  const cards = new Map();
  const columns = TASK_STATUSES.map((status) => {
    const tasks = [...model.tasks.values()].filter((task) => task.status === status);
    if (tasks.length === 0 && !ALWAYS_SHOWN.has(status)) return undefined;
    return h(
      "div",
      { class: "column", "data-column": status },
      h("h3", { class: `s-${status}` }, columnTitle(status, tasks.length)),
      tasks.map((task) => {
        const card = renderCard(task, critical, handlers, views);
        cards.set(task.id, card);
        return card;
      }),
    );
  });
  // An opened card's diff goes below the columns, where it has the section's whole width.
  const opened = [...views.diffs.keys()].filter((id) => model.tasks.has(id));
  const section = h(
    "section",
    { id: "board" },
    h("h2", {}, "Board"),
    h("div", { class: "board" }, columns),
    opened.map((id) =>
      h("div", { class: "board-diff" }, h("h3", {}, `Diff of ${id}`), renderDiff(id, views)),
    ),
  );
  cardsBySection.set(section, cards);
  return section;
}

/**
 * Redraws the cards of `taskIds` in the drawn board `section`, each in its status's column at
 * its place in the plan's order, and the column counts. False when the columns themselves
 * change (a column to show or hide) or a card is unknown: draw the board whole instead.
 */
export function updateBoardCards(section, model, taskIds, handlers, views) {
  const cards = cardsBySection.get(section);
  if (cards === undefined) return false;
  const columnOf = (status) => section.querySelector(`.column[data-column="${status}"]`);
  // First check that every card has a place: a half-done update would leave a wrong board.
  const counts = new Map();
  for (const id of taskIds) {
    const task = model.tasks.get(id);
    if (task === undefined || !cards.has(id) || columnOf(task.status) === null) return false;
  }
  const order = new Map([...model.tasks.keys()].map((id, index) => [id, index]));
  const critical = new Set(model.criticalPath);
  const touched = new Set();
  for (const id of taskIds) {
    const task = model.tasks.get(id);
    const old = cards.get(id);
    const card = renderCard(task, critical, handlers, views);
    cards.set(id, card);
    if (old.dataset.status === task.status) {
      old.replaceWith(card);
      continue;
    }
    touched.add(old.dataset.status).add(task.status);
    old.remove();
    const column = columnOf(task.status);
    const index = order.get(id);
    let next = column.firstElementChild.nextElementSibling;
    while (next !== null && order.get(next.dataset.task) < index) next = next.nextElementSibling;
    column.insertBefore(card, next);
  }
  for (const status of touched) {
    const column = columnOf(status);
    const count = column.childElementCount - 1;
    counts.set(status, count);
    column.firstElementChild.textContent = columnTitle(status, count);
  }
  // A column left empty that is shown only with cards: the board changes shape, draw it whole.
  return ![...counts].some(([status, count]) => count === 0 && !ALWAYS_SHOWN.has(status));
}
