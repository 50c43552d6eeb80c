// Two small inline-SVG plots: cost burn-down against the budget, and throughput (tasks merged
// over time). Points are { ts, value }; the x axis runs from the run's start to the last point.

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const HEIGHT = 150;
const PAD = 28;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An empty chart with its axes and title; returns it and the mapping of a point to pixels. */
function createChart(id, title, startMs, endMs, maxValue) {
  const root = svg("svg", {
    id,
    width: WIDTH,
    height: HEIGHT,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
  });
  root.append(svg("title", {}, title));
  root.append(
    svg("line", { class: "axis", x1: PAD, y1: HEIGHT - PAD, x2: WIDTH - 8, y2: HEIGHT - PAD }),
  );
  root.append(svg("line", { class: "axis", x1: PAD, y1: 8, x2: PAD, y2: HEIGHT - PAD }));
  root.append(svg("text", { x: PAD + 4, y: 14 }, title));
  const spanMs = Math.max(1, endMs - startMs);
  const top = maxValue > 0 ? maxValue : 1;
  const toPoint = (ms, value) => [
    PAD + ((ms - startMs) / spanMs) * (WIDTH - PAD - 8),
    HEIGHT - PAD - (value / top) * (HEIGHT - PAD - 20),
  ];
  return { root, toPoint, top };
}

/** A step line through the points (values hold until the next point). */
function stepPath(points, toPoint, startMs, endMs, startValue) {
  let d = `M${toPoint(startMs, startValue).join(",")}`;
  let last = startValue;
  for (const point of points) {
    const ms = Date.parse(point.ts);
    d += ` L${toPoint(ms, last).join(",")} L${toPoint(ms, point.value).join(",")}`;
    last = point.value;
  }
  return `${d} L${toPoint(endMs, last).join(",")}`;
}

/**
 * Cost burn-down: what is left of the budget over time (the dashed line is the cap), or the
 * spend itself when the run has no budget.
 */
export function renderCostPlot(spend, budgetUsd, startTs, nowMs) {
  const startMs = Date.parse(startTs);
  const endMs = Math.max(nowMs, startMs + 1000);
  const spent = spend.at(-1)?.total ?? 0;
  const hasBudget = typeof budgetUsd === "number" && budgetUsd > 0;
  const max = hasBudget ? Math.max(budgetUsd, spent) : spent;
  const title = hasBudget ? `budget left of $${budgetUsd.toFixed(2)}` : "spend (no budget cap)";
  const { root, toPoint } = createChart("plot-cost", title, startMs, endMs, max);
  const points = spend.map((point) => ({
    ts: point.ts,
    value: hasBudget ? Math.max(0, budgetUsd - point.total) : point.total,
  }));
  if (hasBudget) {
    const [x1, y] = toPoint(startMs, budgetUsd);
    const [x2] = toPoint(endMs, budgetUsd);
    root.append(svg("line", { class: "budget", x1, y1: y, x2, y2: y }));
  }
  root.append(
    svg("path", {
      class: "spend",
      d: stepPath(points, toPoint, startMs, endMs, hasBudget ? budgetUsd : 0),
    }),
  );
  root.append(svg("text", { x: PAD + 4, y: HEIGHT - 8 }, `spent $${spent.toFixed(4)}`));
  return root;
}

/** Throughput: tasks merged so far, over time. */
export function renderThroughputPlot(merges, startTs, nowMs, totalTasks) {
  const startMs = Date.parse(startTs);
  const endMs = Math.max(nowMs, startMs + 1000);
  const merged = merges.at(-1)?.count ?? 0;
  const { root, toPoint } = createChart(
    "plot-throughput",
    "tasks merged",
    startMs,
    endMs,
    Math.max(totalTasks, merged),
  );
  const points = merges.map((point) => ({ ts: point.ts, value: point.count }));
  root.append(svg("path", { class: "merged", d: stepPath(points, toPoint, startMs, endMs, 0) }));
  root.append(svg("text", { x: PAD + 4, y: HEIGHT - 8 }, `${merged} of ${totalTasks} merged`));
  return root;
}
