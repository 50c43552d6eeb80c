import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { FAKE_AGENTS_DIR } from "../../test/helpers/run-bosun.js";
import { isPidRunning, makeTestDir } from "../../test/helpers/testdir.js";
import { killSpawnFromPidFile, writePidFileSync } from "./pid-file.js";
import { startProcess, type ProcessHandle } from "./run-process.js";
import { createSpawnId } from "./tree-kill.js";

/** Long enough never to run out in a test that expects TERM to do the job. */
const LONG_GRACE_MS = 30_000;

function startSleeper(cwd: string): ProcessHandle {
  return startProcess({ command: "/bin/sh", args: ["-c", "sleep 300"], cwd, graceMs: 100 });
}

async function drain(handle: ProcessHandle): Promise<void> {
  for await (const _line of handle.lines()) {
    // Drain until the group is gone.
  }
}

/** SIGKILLs a process a failed test left behind. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

describe("pid files", () => {
  it("records pid, start time and spawn id, and ends that group with TERM", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const child = startSleeper(dir);
    const spawnId = createSpawnId();
    writePidFileSync(file, child.pid, { spawnId });
    expect(await readFile(file, "utf8")).toMatch(new RegExp(`^${child.pid} \\d+ ${spawnId}\\n$`));
    expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(true);
    await drain(child);
    expect((await child.result).signal).toBe("SIGTERM");
    await expect(readFile(file, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("KILLs the group once graceMs has passed when TERM is ignored", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const child = startProcess({
      command: "/bin/sh",
      args: ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"],
      cwd: dir,
    });
    const lines = child.lines();
    expect((await lines.next()).value).toBe("ready");
    writePidFileSync(file, child.pid);
    const graceMs = 300;
    const startedAt = performance.now();
    expect(await killSpawnFromPidFile(file, graceMs)).toBe(true);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(graceMs - 50);
    for await (const _line of lines) {
      // Drain until the group is gone.
    }
    expect((await child.result).signal).toBe("SIGKILL");
  });

  it("ends, by its spawn id, what an orphaned agent's tool left in a session of its own", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const spawnId = createSpawnId();
    // An untracked agent: its own exit kills only its group, as a kill -9'd bosun would leave it.
    const agent = startProcess({
      command: process.execPath,
      args: [path.join(FAKE_AGENTS_DIR, "fake-detach.mjs"), "exit"],
      cwd: dir,
      env: { BOSUN_SPAWN_ID: spawnId },
    });
    const lines: string[] = [];
    for await (const line of agent.lines()) lines.push(line);
    await agent.result;
    const grandchild = Number(lines[0]?.split(" ")[1]);
    onTestFinished(() => killQuietly(grandchild));
    expect(isPidRunning(grandchild)).toBe(true);
    await writeFile(file, `${agent.pid} - ${spawnId}\n`);

    expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(true);
    expect(isPidRunning(grandchild)).toBe(false);
  });

  it("leaves alone a live process whose start time differs (the pid was reused), but not its spawn id", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    const unrelated = startSleeper(dir);
    const spawnId = createSpawnId();
    const ours = startProcess({
      command: "/bin/sh",
      args: ["-c", "echo ready; exec sleep 300"],
      cwd: dir,
      env: { BOSUN_SPAWN_ID: `${createSpawnId()} ${spawnId}` },
    });
    try {
      const ourLines = ours.lines();
      expect((await ourLines.next()).value).toBe("ready");
      await writeFile(file, `${unrelated.pid} 1 ${spawnId}\n`);
      expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(true);
      expect(isPidRunning(unrelated.pid)).toBe(true);
      for await (const _line of ourLines) {
        // Drain until it is gone.
      }
      expect((await ours.result).signal).toBe("SIGTERM");
    } finally {
      for (const child of [unrelated, ours]) {
        child.kill();
        await drain(child);
        await child.result;
      }
    }
  });

  it("never kills bosun's own pid", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    await writeFile(file, `${process.pid}\n`);
    expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(false);
  });

  it("returns false without a file, or when nothing it names is alive", async () => {
    const dir = await makeTestDir();
    const file = path.join(dir, "agent.pid");
    expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(false);
    const done = startProcess({ command: "/bin/sh", args: ["-c", "true"], cwd: dir });
    await drain(done);
    await done.result;
    await writeFile(file, `${done.pid} - ${createSpawnId()}\n`);
    expect(await killSpawnFromPidFile(file, LONG_GRACE_MS)).toBe(false);
  });
});
