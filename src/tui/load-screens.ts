/**
 * Loads the terminal screens (ink, React) for `bosun monitor` and `bosun client`, the commands
 * that draw them: nothing else pays for them.
 *
 * ink decides once, as it is imported, whether to draw live: where CI is set it writes only the
 * last frame at exit. These commands refuse to start without a terminal, so there is always a
 * human watching; CI is hidden from ink's check while it loads and put back at once, so agents
 * the monitor starts see the environment as it was. (ink 7+ has an `interactive` option for this
 * but needs Node 22; bosun runs on Node 20.)
 */
import type * as Screens from "./run-screen.js";

/** The variables ink's CI check (the is-in-ci package) reads. */
const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION"] as const;

/** Imports the screens module with CI hidden from ink. */
export async function loadScreens(): Promise<typeof Screens> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await import("./run-screen.js");
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
