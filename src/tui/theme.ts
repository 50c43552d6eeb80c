/**
 * Colours of the terminal views, or none: `NO_COLOR` (set to anything, as the CLI's printer
 * reads it; https://no-color.org) turns every colour off, so a view never hard-codes one.
 */

/** The colours a view may ask for. */
export type Tone = "green" | "yellow" | "red" | "cyan" | "gray";

/** Whether views colour their text. */
export interface Theme {
  /** False under NO_COLOR. */
  readonly isColor: boolean;
}

/** The theme for this process's environment. */
export function getTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  return { isColor: env["NO_COLOR"] === undefined };
}

/** Text props for a tone: a colour, or nothing without colours. */
export function getToneProps(theme: Theme, tone: Tone | undefined): { color?: string } {
  return theme.isColor && tone !== undefined ? { color: tone } : {};
}

/** The tone of an idle timer: amber past a minute of silence, red past five. */
export function getIdleTone(idleMs: number): Tone | undefined {
  if (idleMs >= 300_000) return "red";
  if (idleMs >= 60_000) return "yellow";
  return undefined;
}

/** The tone of spend against a cap: amber from 80 %, red from 95 %. */
export function getSpendTone(costUsd: number, budgetUsd: number | undefined): Tone | undefined {
  if (budgetUsd === undefined || budgetUsd <= 0) return undefined;
  const share = costUsd / budgetUsd;
  if (share >= 0.95) return "red";
  if (share >= 0.8) return "yellow";
  return undefined;
}
