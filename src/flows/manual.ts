/**
 * The manual role: bosun writes the prompt and waits, event-driven (fs.watch, no polling), for a
 * person or another tool to write the report file. An invalid file is reported and waited past.
 */
import { mkdir, watch, writeFile } from "node:fs/promises";
import path from "node:path";
import { CancelledError } from "../errors.js";

/** Writes the prompt, then resolves once `isReady(reportFile)` says the report is acceptable. */
export async function waitForManualReport(options: {
  promptFile: string;
  prompt: string;
  reportFile: string;
  isReady: () => Promise<{ isValid: boolean; error?: string }>;
  onInvalid: (error: string) => void;
  signal?: AbortSignal;
}): Promise<void> {
  await mkdir(path.dirname(options.promptFile), { recursive: true });
  await writeFile(options.promptFile, options.prompt);
  const dir = path.dirname(options.reportFile);
  await mkdir(dir, { recursive: true });
  const name = path.basename(options.reportFile);
  // Start watching before the first check so a write between the two is not missed.
  const watcher = watch(dir, options.signal === undefined ? {} : { signal: options.signal });
  let lastError = "";
  const check = async (): Promise<boolean> => {
    const state = await options.isReady();
    if (state.isValid) return true;
    if (state.error !== undefined && state.error !== lastError && !state.error.startsWith("no report")) {
      lastError = state.error;
      options.onInvalid(state.error);
    }
    return false;
  };
  try {
    if (await check()) return;
    for await (const change of watcher) {
      if (change.filename === name && (await check())) return;
    }
  } catch (error) {
    if (options.signal?.aborted === true) throw new CancelledError("Stopped waiting for the manual report.");
    throw error;
  }
  throw new CancelledError("Stopped waiting for the manual report.");
}
