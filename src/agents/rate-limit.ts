/**
 * Provider rate and usage limits: telling them from other transient failures (they call for a
 * pause of the whole harness, not a retry of one call), and reading the reset time out of the
 * message when the CLI gives one.
 */
import { AgentError } from "../errors.js";

/** A provider limited the harness (429, rate limit, usage limit). Transient. */
export class AgentRateLimitError extends AgentError {
  /** When the limit resets (epoch ms), if the message said. */
  readonly resetAtMs: number | undefined;

  constructor(message: string, options: { resetAtMs?: number | undefined; cause?: unknown } = {}) {
    super(message, { isPermanent: false, cause: options.cause });
    this.resetAtMs = options.resetAtMs;
  }
}

const RATE_LIMIT =
  /\b429\b|rate.?limit|too many requests|usage.?limit|hit your (?:[\w' -]+ )?limit|\b\d+-hour limit|quota exceeded|resource.?exhausted/i;

/** Billing and monthly caps look like limits, but no wait within a run lifts them: a person has to. */
const NOT_A_RATE_LIMIT = /spend(?:ing)? limit|monthly|credit balance|insufficient.?quota|billing/i;

/** True when a failure message says a provider limited the caller (as opposed to a crash). */
export function isRateLimited(message: string): boolean {
  return RATE_LIMIT.test(message) && !NOT_A_RATE_LIMIT.test(message);
}

/** Clock times without seconds ("resets 3pm") may mean any second of that minute. */
const CLOCK_MARGIN_MS = 60_000;

/**
 * When the limit in `message` resets (epoch ms), if it says. Understands the forms the CLIs print:
 * Claude Code's old `usage limit reached|<epoch seconds>`, an ISO time, a delay ("try again in
 * 20s", "resets in 2h 5m", "retry-after: 30"), and a clock time, maybe with a date and a time
 * zone ("resets 3pm (Europe/Berlin)", "try again at Sep 15th, 2025 3:05 PM"). A clock time
 * without a zone is this machine's local time, where the CLI printed it. A reset in the past is
 * ignored (undefined): the caller backs off instead.
 */
export function parseResetTime(message: string, nowMs: number): number | undefined {
  const resetAtMs =
    parseEpoch(message) ??
    parseIso(message) ??
    parseDelay(message, nowMs) ??
    parseClock(message, nowMs);
  return resetAtMs !== undefined && resetAtMs > nowMs ? resetAtMs : undefined;
}

function parseEpoch(message: string): number | undefined {
  const match = /limit reached\|(\d{9,13})\b/i.exec(message);
  if (match?.[1] === undefined) return undefined;
  const value = Number(match[1]);
  return match[1].length > 10 ? value : value * 1000;
}

function parseIso(message: string): number | undefined {
  const match =
    /\b(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/.exec(message);
  if (match?.[1] === undefined) return undefined;
  const ms = Date.parse(match[1].replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PART =
  /(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)(?![a-z])/gi;

function parseDelay(message: string, nowMs: number): number | undefined {
  const header = /retry-after:?\s*(\d+)\b/i.exec(message);
  if (header?.[1] !== undefined) return nowMs + Number(header[1]) * 1000;
  const phrase =
    /(?:try again|retry|resets?|available) (?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]+(?:,?\s*(?:and\s+)?)?)+)/i.exec(
      message,
    );
  if (phrase?.[1] === undefined) return undefined;
  let totalMs = 0;
  for (const part of phrase[1].matchAll(DURATION_PART)) {
    const unit = part[2]?.toLowerCase() ?? "";
    const key = unit === "ms" || unit.startsWith("milli") ? "ms" : unit.charAt(0);
    totalMs += Number(part[1]) * (UNIT_MS[key] ?? 0);
  }
  return totalMs > 0 ? nowMs + Math.ceil(totalMs) : undefined;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

const CLOCK =
  /(?:resets?|try again|available)(?: at| on)?\s+(?:([A-Za-z]{3})[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(\d{4}),?\s+)?(?:at\s+)?)?(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?(?:\s*\(([^)]+)\))?/i;

function parseClock(message: string, nowMs: number): number | undefined {
  const match = CLOCK.exec(message);
  if (match === null) return undefined;
  const [, monthName, day, year, hour, minute, meridiem, zone] = match;
  const hour12 = Number(hour);
  if (hour12 < 1 || hour12 > 12) return undefined;
  const hour24 = (hour12 % 12) + (meridiem?.toLowerCase() === "p" ? 12 : 0);
  const minutes = Number(minute ?? 0);
  const timeZone = getTimeZone(zone);
  const today = getZonedDate(nowMs, timeZone);
  const month = monthName === undefined ? -1 : MONTHS.indexOf(monthName.toLowerCase());
  if (monthName !== undefined && month < 0) return undefined;
  const at = (y: number, m: number, d: number): number =>
    getZonedTime({ year: y, month: m, day: d, hour: hour24, minute: minutes }, timeZone) +
    CLOCK_MARGIN_MS;
  if (month >= 0) {
    const explicitYear = year === undefined ? undefined : Number(year);
    const candidate = at(explicitYear ?? today.year, month, Number(day));
    // "Jan 2" printed in late December is next year's.
    return explicitYear === undefined && candidate < nowMs - 86_400_000
      ? at(today.year + 1, month, Number(day))
      : candidate;
  }
  const candidate = at(today.year, today.month, today.day);
  return candidate > nowMs ? candidate : at(today.year, today.month, today.day + 1);
}

/** An IANA zone name the runtime knows, else this machine's zone. */
function getTimeZone(zone: string | undefined): string {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone === undefined) return local;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    // An abbreviation like "PST" is no IANA name; the CLI ran here, so local time is the best guess.
    return local;
  }
}

interface WallTime {
  year: number;
  /** 0-based. */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function getZonedDate(ms: number, timeZone: string): WallTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month") - 1,
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
  };
}

/** Epoch ms of a wall-clock time in `timeZone` (days past the month's end roll over). */
function getZonedTime(wall: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month, wall.day, wall.hour, wall.minute);
  // The zone's offset at the guess, then again at the result, which settles DST edges.
  let ms = asUtc - getOffsetMs(asUtc, timeZone);
  ms = asUtc - getOffsetMs(ms, timeZone);
  return ms;
}

function getOffsetMs(ms: number, timeZone: string): number {
  const wall = getZonedDate(ms, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month, wall.day, wall.hour, wall.minute);
  return wallAsUtc - Math.floor(ms / 60_000) * 60_000;
}
