/**
 * The manual role: bosun writes the prompt and waits, event-driven (fs.watch, no polling), for a
 * person or another tool to write the report file. An invalid file is reported and waited past.
 */
import { mkdir, watch } from "node:fs/promises";
import path from "node:path";
import { CancelledError } from "../errors.js";
import { writeTextAtomic } from "../store/json-file.js";

/** How long a report must stay invalid before bosun says so. */
const SETTLE_MS = 250;

/** Writes the prompt, then resolves once `isReady(reportFile)` says the report is acceptable. */
export async function waitForManualReport(options: {
  promptFile: string;
  prompt: string;
  reportFile: string;
  isReady: () => Promise<{ isValid: boolean; error?: string }>;
  onInvalid: (error: string) => void;
  signal?: AbortSignal;
}): Promise<void> {
  // Whole or not at all: whoever is told to read it may open it the moment it appears.
  await writeTextAtomic(options.promptFile, options.prompt);
  const dir = path.dirname(options.reportFile);
  await mkdir(dir, { recursive: true });
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted === true) stop.abort();
  const changes = watch(dir, { signal: stop.signal })[Symbol.asyncIterator]();
  let lastError = "";
  const check = async (): Promise<boolean> => {
    let state = await options.isReady();
    if (state.isValid) return true;
    if (state.error !== undefined && !state.error.startsWith("no report")) {
      // Let a write in progress finish (`echo > file` truncates first) before calling it invalid.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      state = await options.isReady();
      if (state.isValid) return true;
    }
    if (
      state.error !== undefined &&
      state.error !== lastError &&
      !state.error.startsWith("no report")
    ) {
      lastError = state.error;
      options.onInvalid(state.error);
    }
    return false;
  };
  try {
    for (;;) {
      // Ask for the next change before each check: fs/promises watch() starts watching on its
      // first next() and drops changes made while nobody waits on next(), so a report written
      // during the check must still wake us. Any change in the directory triggers a check, since
      // the one naming the report may be among those dropped.
      const nextChange = changes.next();
      // Handled below when awaited; this keeps an abort during the check from going unhandled.
      nextChange.catch(() => undefined);
      if (await check()) return;
      if ((await nextChange).done === true) break;
    }
  } catch (error) {
    if (options.signal?.aborted === true)
      throw new CancelledError("Stopped waiting for the manual report.");
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    stop.abort();
  }
  throw new CancelledError("Stopped waiting for the manual report.");
}
