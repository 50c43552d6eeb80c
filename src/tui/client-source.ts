/**
 * The client's live list of the repository's open asks: `.bosun/asks/` and its `answers/` are
 * watched (event-driven, also before they exist), and only the ask a change names is read
 * again. Answering records the answer through `recordAnswer`, as `bosun answer --no-resume`
 * does; the client never runs anything.
 */
import { existsSync } from "node:fs";
import type { StateError } from "../errors.js";
import { getErrorMessage } from "../errors.js";
import { recordAnswer } from "../flows/human-actions.js";
import { getResumeCommand } from "../flows/registry.js";
import { isOpen, listAsks, readAsk } from "../human/asks.js";
import type { BosunPaths } from "../store/paths.js";
import { readRun } from "../store/run-lookup.js";
import type { Ask } from "../store/schema/asks.js";
import { watchDirectory, type DirectoryWatch } from "../store/watch-dir.js";

/** What the client needs. */
export interface ClientSourceOptions {
  /** The repository's paths. */
  paths: BosunPaths;
  /** Aborts the client (main()'s stop signal). */
  signal: AbortSignal;
}

/** The client's state. Mutable: the source updates it, the screen reads it. */
export interface ClientModel {
  /** Open asks by id. */
  readonly asks: Map<string, Ask>;
  /** The last answer's outcome or a problem, for the status line. */
  message: string | undefined;
  /** Bumped on every change. */
  version: number;
}

/** What the client's screen needs. */
export interface ClientController {
  /** The model, updated in place. */
  readonly model: ClientModel;
  /** Calls `onChange` after the model changed; returns the unsubscribe. */
  readonly subscribe: (onChange: () => void) => () => void;
  /** Records an answer (checked against the ask's options). */
  answer(askId: string, answer: string): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/** Starts watching the asks; `close()` stops. */
export function startClientSource(options: ClientSourceOptions): ClientController {
  const { paths } = options;
  const model: ClientModel = { asks: new Map(), message: undefined, version: 0 };
  const listeners = new Set<() => void>();
  const changed = (): void => {
    model.version += 1;
    for (const listener of listeners) listener();
  };
  const report = (message: string): void => {
    model.message = message;
    changed();
  };
  // Reads of one ask may finish out of order: only the latest read of it counts.
  const readCounts = new Map<string, number>();
  const refreshAsk = async (askId: string): Promise<void> => {
    const count = (readCounts.get(askId) ?? 0) + 1;
    readCounts.set(askId, count);
    try {
      const item = await readAsk(paths, askId);
      if (readCounts.get(askId) !== count) return;
      if (isOpen(item)) model.asks.set(askId, item.ask);
      else model.asks.delete(askId);
    } catch (error) {
      if (readCounts.get(askId) !== count) return;
      // Removed (or never complete): not an open ask. Anything else is worth saying.
      if (!existsSync(paths.askFile(askId))) model.asks.delete(askId);
      else model.message = getErrorMessage(error);
    }
    changed();
  };
  const refreshAll = async (): Promise<void> => {
    try {
      const open = await listAsks(paths, true);
      model.asks.clear();
      for (const item of open) model.asks.set(item.ask.id, item.ask);
      changed();
    } catch (error) {
      report(getErrorMessage(error));
    }
  };
  const onChange = (name: string | undefined): void => {
    if (name === undefined) void refreshAll();
    else if (name.endsWith(".json")) void refreshAsk(name.slice(0, -".json".length));
  };
  const onError = (error: StateError): void => report(error.message);
  const watches: DirectoryWatch[] = [
    watchDirectory(paths.asksDir, { onChange, onError }),
    watchDirectory(paths.answersDir, { onChange, onError }),
  ];
  // After the watches start, so an ask written in between is seen by one or the other.
  void refreshAll();
  const close = (): void => {
    for (const watch of watches) watch.close();
  };
  options.signal.addEventListener("abort", close, { once: true });
  return {
    model,
    subscribe: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    answer: async (askId, answer) => {
      const { runId } = await recordAnswer(paths, { askId, answer, source: "client" });
      const flow = (await readRun(paths, runId))?.flow ?? "review";
      report(
        `answered ${askId}: ${answer}. Continue its run with: ${getResumeCommand(flow, runId)}`,
      );
    },
    close,
  };
}
