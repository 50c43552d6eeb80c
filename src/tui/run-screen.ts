/**
 * Puts a terminal screen up (the monitor, the pulse's or the client) and holds until the human quits or the
 * command's stop signal ends it. The only module that calls ink's `render`.
 */
import { render } from "ink";
import { createElement as h, type ReactElement } from "react";
import { ClientApp } from "./client-app.js";
import { startClientSource, type ClientSourceOptions } from "./client-source.js";
import { MonitorApp } from "./monitor-app.js";
import { startMonitorSource, type MonitorSourceOptions } from "./monitor-source.js";
import { PulseApp } from "./pulse-app.js";
import { startPulseSource, type PulseSourceOptions } from "./pulse-source.js";
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
  try {
    await showScreen(h(MonitorApp, { controller, theme: getTheme() }), options.signal);
  } finally {
    // Ctrl-C ends ink without the q key's close: whatever the monitor runs ends here too.
    await controller.close();
  }
}

/** Shows the repository's open asks until the human quits. */
export async function runClientScreen(options: ClientSourceOptions): Promise<void> {
  const controller = startClientSource(options);
  try {
    await showScreen(h(ClientApp, { controller, theme: getTheme() }), options.signal);
  } finally {
    controller.close();
  }
}

/** Shows the pulse (`bosun monitor --pulse`) until the human quits. */
export async function runPulseScreen(options: PulseSourceOptions): Promise<void> {
  const controller = startPulseSource(options);
  try {
    await showScreen(h(PulseApp, { controller, theme: getTheme() }), options.signal);
  } finally {
    controller.close();
  }
}

/** Draws `screen` in the alternate screen until it exits (q) or `signal` aborts. */
async function showScreen(screen: ReactElement, signal: AbortSignal): Promise<void> {
  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  let onStop: (() => void) | undefined;
  try {
    const app = render(screen);
    onStop = (): void => app.unmount();
    signal.addEventListener("abort", onStop);
    await app.waitUntilExit();
  } finally {
    if (onStop !== undefined) signal.removeEventListener("abort", onStop);
    process.stdout.write(LEAVE_ALTERNATE_SCREEN);
  }
}
