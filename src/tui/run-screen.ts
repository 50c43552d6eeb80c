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
 * The terminal's alternate screen (xterm's 1049: saved cursor, cleared screen), so quitting gives
 * the human's scrollback back as it was. Written by hand: ink 6 (Node 20) has no option for it.
 */
const ENTER_ALTERNATE_SCREEN = "\u001B[?1049h";
const LEAVE_ALTERNATE_SCREEN = "\u001B[?1049l";

/** Shows the monitor of one run until the human quits; a run resumed in it is paused first. */
export async function runMonitorScreen(options: MonitorSourceOptions): Promise<void> {
  const controller = startMonitorSource(options);
  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  try {
    const app = render(h(MonitorApp, { controller, theme: getTheme() }));
    const onStop = (): void => app.unmount();
    options.signal.addEventListener("abort", onStop);
    try {
      await app.waitUntilExit();
    } finally {
      options.signal.removeEventListener("abort", onStop);
    }
  } finally {
    process.stdout.write(LEAVE_ALTERNATE_SCREEN);
    // Ctrl-C ends ink without the q key's close: whatever the monitor runs ends here too.
    await controller.close();
  }
}

/** Shows the repository's open asks until the human quits. */
export async function runClientScreen(options: ClientSourceOptions): Promise<void> {
  const controller = startClientSource(options);
  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  try {
    const app = render(h(ClientApp, { controller, theme: getTheme() }));
    const onStop = (): void => app.unmount();
    options.signal.addEventListener("abort", onStop);
    try {
      await app.waitUntilExit();
    } finally {
      options.signal.removeEventListener("abort", onStop);
    }
  } finally {
    process.stdout.write(LEAVE_ALTERNATE_SCREEN);
    controller.close();
  }
}
