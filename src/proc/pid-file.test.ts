import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPidRunning, makeTestDir } from "../../test/helpers/testdir.js";
import { killGroupFromPidFile, writePidFileSync } from "./pid-file.js";
import { startProcess } from "./run-process.js";

function startSleeper(cwd: string): ReturnType<typeof startProcess> {
  return startProcess({ command: "/bin/sh", args: ["-c", "sleep 300"], cwd, graceMs: 100 });
}

describe("pid files", () => {
  it("records pid and start time, and kills that group", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const child = startSleeper(dir);
    writePidFileSync(file, child.pid);
    expect(await readFile(file, "utf8")).toMatch(new RegExp(`^${child.pid} \\d+\\n$`));
    expect(await killGroupFromPidFile(file)).toBe(true);
    for await (const _line of child.lines()) {
      // Drain until the group is gone.
    }
    expect((await child.result).signal).toBe("SIGKILL");
  });

  it("leaves alone a live process whose start time differs (the pid was reused)", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const child = startSleeper(dir);
    try {
      await writeFile(file, `${child.pid} 1\n`);
      expect(await killGroupFromPidFile(file)).toBe(false);
      expect(isPidRunning(child.pid)).toBe(true);
    } finally {
      child.kill();
      for await (const _line of child.lines()) {
        // Drain.
      }
      await child.result;
    }
  });

  it("never kills bosun's own pid", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    await writeFile(file, `${process.pid}\n`);
    expect(await killGroupFromPidFile(file)).toBe(false);
  });
});
