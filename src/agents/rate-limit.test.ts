import { describe, expect, it } from "vitest";
import { isRateLimited, parseResetTime } from "./rate-limit.js";

/** Thursday 15 January 2026, 12:00 UTC (13:00 in Berlin). */
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE_MS = 60_000;

describe("isRateLimited", () => {
  it.each([
    "claude exited with code 1: API Error: 429 Too Many Requests",
    'API Error: {"type":"error","error":{"type":"rate_limit_error","message":"..."}}',
    "Claude AI usage limit reached|1768500000",
    "You've hit your session limit · resets 3pm (Europe/Berlin)",
    "5-hour limit reached ∙ resets 4am",
    "You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro) or try again at 3:05 PM.",
    "Rate limit reached for gpt-5 in organization org-x on tokens per min. Please try again in 20s.",
    "[API Error: RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Generate Content API requests']",
  ])("%j is a rate limit", (message) => {
    expect(isRateLimited(message)).toBe(true);
  });

  it.each([
    "API Error: HTTP 503 Service Unavailable",
    "529 overloaded_error",
    "read ECONNRESET",
    "Context limit reached · /compact or /clear to continue",
    "Subagent nesting limit reached (depth 3 of 3).",
    "You've hit your monthly spend limit. Run /usage-credits to manage your limit.",
    "Your credit balance is too low to access the Anthropic API.",
    "429 insufficient_quota: You exceeded your current quota, please check your plan and billing details.",
    "401 unauthorized",
  ])("%j is not", (message) => {
    expect(isRateLimited(message)).toBe(false);
  });
});

describe("parseResetTime", () => {
  it("reads Claude Code's old usage limit line (epoch seconds)", () => {
    expect(parseResetTime("Claude AI usage limit reached|1768500000", NOW_MS)).toBe(1768500000000);
  });

  it("reads an ISO time", () => {
    expect(parseResetTime("rate limited; resets at 2026-01-15T12:30:00Z", NOW_MS)).toBe(
      NOW_MS + 30 * MINUTE_MS,
    );
    expect(parseResetTime("reset 2026-01-15T14:30:00+02:00", NOW_MS)).toBe(NOW_MS + 30 * MINUTE_MS);
  });

  it.each([
    ["Please try again in 20s.", 20_000],
    ["Please try again in 1m30s.", 90_000],
    ["Please try again in 6ms.", 6],
    ["Please try again in 1.5 seconds", 1_500],
    ["Fast limit reached · resets in 2h 5m", 125 * MINUTE_MS],
    ["usage limit: resets in 1 day, 2 hours and 3 minutes", (24 * 60 + 2 * 60 + 3) * MINUTE_MS],
    ["HTTP 429, Retry-After: 30", 30_000],
  ])("reads a delay: %j", (message, delayMs) => {
    expect(parseResetTime(message, NOW_MS)).toBe(NOW_MS + delayMs);
  });

  it("reads a clock time in the zone it names, a minute late (clock times have no seconds)", () => {
    expect(parseResetTime("You've hit your session limit · resets 3pm (UTC)", NOW_MS)).toBe(
      Date.UTC(2026, 0, 15, 15, 0) + MINUTE_MS,
    );
    // Berlin is UTC+1 in January.
    expect(parseResetTime("You've hit your limit · resets 3:30pm (Europe/Berlin)", NOW_MS)).toBe(
      Date.UTC(2026, 0, 15, 14, 30) + MINUTE_MS,
    );
    // New York is UTC-4 in July (daylight saving time).
    expect(parseResetTime("resets 3pm (America/New_York)", Date.UTC(2026, 6, 1, 12, 0))).toBe(
      Date.UTC(2026, 6, 1, 19, 0) + MINUTE_MS,
    );
  });

  it("takes a clock time already past today as tomorrow's", () => {
    expect(parseResetTime("You've hit your session limit · resets 11am (UTC)", NOW_MS)).toBe(
      Date.UTC(2026, 0, 16, 11, 0) + MINUTE_MS,
    );
    expect(parseResetTime("resets 12am (UTC)", NOW_MS)).toBe(
      Date.UTC(2026, 0, 16, 0, 0) + MINUTE_MS,
    );
  });

  it("reads a date with the clock time, in the next year when it is otherwise long past", () => {
    expect(parseResetTime("You've hit your weekly limit · resets Jan 20, 9am (UTC)", NOW_MS)).toBe(
      Date.UTC(2026, 0, 20, 9, 0) + MINUTE_MS,
    );
    const lateDecemberMs = Date.UTC(2026, 11, 30, 12, 0);
    expect(parseResetTime("resets Jan 2, 9am (UTC)", lateDecemberMs)).toBe(
      Date.UTC(2027, 0, 2, 9, 0) + MINUTE_MS,
    );
  });

  it("reads a clock time without a zone as this machine's local time (Codex)", () => {
    expect(
      parseResetTime("You’ve hit your usage limit. Try again at Jan 16th, 2026 3:05 PM.", NOW_MS),
    ).toBe(new Date(2026, 0, 16, 15, 5).getTime() + MINUTE_MS);
  });

  it("gives undefined when there is no time, or only one in the past", () => {
    expect(parseResetTime("429 Too Many Requests", NOW_MS)).toBeUndefined();
    expect(parseResetTime("Claude AI usage limit reached|1700000000", NOW_MS)).toBeUndefined();
    expect(parseResetTime("try again at Sep 15th, 2025 3:05 PM", NOW_MS)).toBeUndefined();
  });
});
