/**
 * `bosun dashboard` in a real Chromium for e2e tests: Debian's chromium launched by
 * playwright-core, the built dashboard started on a free port and stopped, and a check that a
 * screenshot is not blank.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { BOSUN_CLI } from "./run-bosun.js";

/** Debian's chromium (installed by .ci/run). */
export const CHROMIUM = process.env.BOSUN_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Where to keep a screenshot for a person to look at, if anywhere. */
export const SCREENSHOT_FILE = process.env.BOSUN_TEST_SCREENSHOT;

/** Launches headless Chromium; throws saying how to install it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does), or point BOSUN_TEST_CHROMIUM at one.`,
    );
  // As root (CI), Chromium refuses to start without --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** A running `bosun dashboard`. */
export interface DashboardProcess {
  /** The dashboard's process. */
  child: ChildProcess;
  /** Where it serves the page. */
  url: string;
  /** The one-time login link (sets the cookie, then lands on the page). */
  loginUrl: string;
  /** The bearer token, for requests a test sends itself (every POST needs it). */
  token: string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
}

/**
 * `bosun dashboard --port 0 --json` in `root` with exactly `env` (nothing else is inherited);
 * resolves with its URLs and token once it listens.
 */
export async function startDashboard(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [BOSUN_CLI, "dashboard", "--port", "0", "--json"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf("\n");
      if (end !== -1) resolve(out.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`bosun dashboard exited ${code}: ${stderr}`)));
  });
  const started = JSON.parse(first) as { url: string; loginUrl: string; token: string };
  return { child, ...started, stderr: () => stderr };
}

/** Stops the dashboard as Ctrl-C would; resolves with its exit code (at once if it has exited). */
export async function stopDashboard(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  return exited;
}

/**
 * How many distinct colours a PNG has (every 7th pixel), counted by the browser itself from a
 * data URL. A string, since this project's TypeScript has no DOM types.
 */
const COUNT_COLOURS = `async (base64) => {
  const image = new Image();
  image.src = "data:image/png;base64," + base64;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  const colours = new Set();
  for (let at = 0; at < data.length; at += 4 * 7)
    colours.add((data[at] << 16) | (data[at + 1] << 8) | data[at + 2]);
  return colours.size;
}`;

/** The number of distinct colours in `png` (a blank page has one or two). */
export async function countColours(page: Page, png: Buffer): Promise<number> {
  const count: unknown = await page.evaluate(
    `(${COUNT_COLOURS})(${JSON.stringify(png.toString("base64"))})`,
  );
  return Number(count);
}
