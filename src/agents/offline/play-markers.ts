/**
 * How a `times`-limited step knows it is used up: each agent process is a separate dispatch, so
 * the count lives on disk, next to the script, as one marker file per play of a step.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { isNodeError } from "../../errors.js";
import type { OfflineScript } from "./script.js";

/**
 * Where a script's plays are counted: `<script>.state/<run>-<hash>/`. Per run, so every run plays
 * the script afresh while a resumed run or a retried spawn does not; per script content, so a
 * script rewritten between runs never inherits the old steps' counts.
 */
export function getPlayMarkerDir(
  scriptFile: string,
  script: OfflineScript,
  runId: string | undefined,
): string {
  const hash = createHash("sha256").update(JSON.stringify(script)).digest("hex").slice(0, 12);
  // The run id comes from env: keep it one safe path segment whatever it holds.
  const run = (runId ?? "no-run").replace(/[^\w.-]/g, "_");
  return path.join(`${path.resolve(scriptFile)}.state`, `${run}-${hash}`);
}

/**
 * Claims one of a step's `times` plays; true when this process got one. Each play is a marker
 * file created with O_EXCL, so agents started at the same instant never both win the last play
 * (a counter read, bumped and written back would let them).
 */
export async function writePlayMarker(
  markerDir: string,
  stepIndex: number,
  times: number,
): Promise<boolean> {
  await mkdir(markerDir, { recursive: true });
  // A script kept inside the repository must not have its counts committed by a checkpoint or
  // seen as the agent's change: a .gitignore of "*" hides the whole state directory from git.
  await writeExclusive(path.join(path.dirname(markerDir), ".gitignore"), "*\n");
  for (let play = 1; play <= times; play += 1) {
    const marker = path.join(markerDir, `step-${stepIndex}.${play}`);
    if (await writeExclusive(marker, `${process.pid}\n`)) return true;
  }
  return false;
}

/** Creates `file` only if it does not exist yet; false when it did. */
async function writeExclusive(file: string, text: string): Promise<boolean> {
  try {
    await writeFile(file, text, { flag: "wx" });
    return true;
  } catch (error) {
    if (isNodeError(error) && error.code === "EEXIST") return false;
    throw error;
  }
}
