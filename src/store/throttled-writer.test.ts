import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createThrottledWriter } from "./throttled-writer.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A writer whose writes are counted (and fail while `failing` is set). */
function makeWriter(intervalMs = 1000) {
  const state = { writes: 0, isFailing: false, errors: [] as unknown[] };
  const writer = createThrottledWriter({
    intervalMs,
    write: () => {
      state.writes += 1;
      return state.isFailing ? Promise.reject(new Error("disk full")) : Promise.resolve();
    },
    onError: (error) => state.errors.push(error),
  });
  return { writer, state };
}

describe("createThrottledWriter", () => {
  it("writes a burst once, on the next tick", async () => {
    const { writer, state } = makeWriter();
    for (let i = 0; i < 50; i++) writer.schedule();
    expect(state.writes).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(state.writes).toBe(1);
  });

  it("writes at most once per interval, with one trailing write for changes in between", async () => {
    const { writer, state } = makeWriter();
    writer.schedule();
    await vi.advanceTimersByTimeAsync(0);
    writer.schedule();
    writer.schedule();
    await vi.advanceTimersByTimeAsync(999);
    expect(state.writes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.writes).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.writes).toBe(2);
  });

  it("flush writes what is due at once, and nothing when nothing is", async () => {
    const { writer, state } = makeWriter();
    await writer.flush();
    expect(state.writes).toBe(0);
    writer.schedule();
    await writer.flush();
    expect(state.writes).toBe(1);
    // The timer the schedule set is gone: no second write.
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.writes).toBe(1);
  });

  it("keeps a failed write due: the timer reports it, and flush retries and rejects", async () => {
    const { writer, state } = makeWriter();
    state.isFailing = true;
    writer.schedule();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.errors).toHaveLength(1);
    await expect(writer.flush()).rejects.toThrow("disk full");
    state.isFailing = false;
    await writer.flush();
    expect(state.writes).toBe(3);
    await writer.flush();
    expect(state.writes).toBe(3);
  });
});
