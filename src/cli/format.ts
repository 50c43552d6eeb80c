/** Small formatting helpers for human output: colours (off under NO_COLOR or non-TTY), money, time. */
import pc from "picocolors";

/** Colour functions that respect NO_COLOR and non-TTY output. */
export const color = pc.createColors(pc.isColorSupported && process.env["NO_COLOR"] === undefined);

/** Coloured status word. */
export function formatStatus(status: string): string {
  switch (status) {
    case "succeeded":
      return color.green("✔ succeeded");
    case "needs_human":
      return color.yellow("⏸ needs_human");
    case "running":
      return color.cyan("● running");
    case "paused":
      return color.cyan("⏸ paused");
    case "interrupted":
      return color.yellow("⏸ interrupted");
    default:
      return color.red(`✖ ${status}`);
  }
}

/** `$0.0123` */
export function formatUsd(value: number): string {
  return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

/** `850ms`, `3.2s`, `4m05s` */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** First 7 characters of a commit. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** Cuts a string to one line of at most `max` characters. */
export function oneLine(text: string, max = 100): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Prints a JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as aligned columns. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, stripAnsi(cell).length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1
            ? cell
            : cell + " ".repeat((widths[i] ?? 0) - stripAnsi(cell).length),
        )
        .join("  "),
    )
    .join("\n");
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
