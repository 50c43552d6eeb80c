/** Finding a test's processes in /proc, to check that none outlives what started it. */
import { readFile, readdir } from "node:fs/promises";
import { isPidRunning } from "./testdir.js";

/**
 * The live processes whose environment has HOME=`home` (pid and command line): every process a
 * hermetic test starts, and what those start, carries the test's own temp HOME.
 */
export async function listProcessesWithHome(home: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || !isPidRunning(Number(entry))) continue;
    try {
      const environ = (await readFile(`/proc/${entry}/environ`, "utf8")).split("\0");
      if (!environ.includes(`HOME=${home}`)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      found.push(`${entry}: ${cmdline.replaceAll("\0", " ").trim()}`);
    } catch {
      // Gone meanwhile, or another user's: not one of ours.
    }
  }
  return found;
}
