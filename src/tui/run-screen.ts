/**
 * Puts a terminal screen up (the monitor or the client) and holds until the human quits or the
 * command's stop signal ends it. The only module that calls ink's `render`.
 */
import { render } from "ink";
import { createElement as h } from "react";
import { ClientApp } from "./client-app.js";
import { startClientSource, type ClientSourceOptions } from "./client-source.js";
import { MonitorApp } from "./monitor-app.js";
import { startMonitorSource, type MonitorSourceOptions } from "./monitor-source.js";
import { getTheme } from "./theme.js";

/**
 * Live in the alternate screen. Interactive always: the commands refuse to start without a
 * terminal, and ink would otherwise draw nothing until exit wherever CI=true is set.
 */
const SCREEN_OPTIONS = { alternateScreen: true, interactive: true } as const;

/** Shows the monitor of one run until the human quits; a run resumed in it is paused first. */
export async function runMonitorScreen(options: MonitorSourceOptions): Promise<void> {
  const controller = startMonitorSource(options);
  const app = render(h(MonitorApp, { controller, theme: getTheme() }), SCREEN_OPTIONS);
  const onStop = (): void => app.unmount();
  options.signal.addEventListener("abort", onStop);
  try {
    await app.waitUntilExit();
  } finally {
    options.signal.removeEventListener("abort", onStop);
    // Ctrl-C ends ink without the q key's close: whatever the monitor runs ends here too.
    await controller.close();
  }
}

/** Shows the repository's open asks until the human quits. */
export async function runClientScreen(options: ClientSourceOptions): Promise<void> {
  const controller = startClientSource(options);
  const app = render(h(ClientApp, { controller, theme: getTheme() }), SCREEN_OPTIONS);
  const onStop = (): void => app.unmount();
  options.signal.addEventListener("abort", onStop);
  try {
    await app.waitUntilExit();
  } finally {
    options.signal.removeEventListener("abort", onStop);
    controller.close();
  }
}
