import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { findTreePids, readStartTime } from "./proc-scan.js";
import { startProcess, type ProcessHandle } from "./run-process.js";
import { createSpawnId } from "./tree-kill.js";

/**
 * Starts `sh` printing its own pid and its background child's, with `env`; the group and both
 * are killed after the test.
 */
async function startShell(
  dir: string,
  env: Record<string, string>,
): Promise<{ handle: ProcessHandle; shell: number; child: number }> {
  const handle = startProcess({
    command: "/bin/sh",
    args: ["-c", "sleep 300 & echo $$ $!; wait"],
    cwd: dir,
    env,
    graceMs: 100,
  });
  onTestFinished(async () => {
    handle.kill();
    for await (const _line of handle.lines()) {
      // Drain.
    }
    await handle.result;
  });
  const first = await handle.lines().next();
  const [shell, child] = String(first.value).split(" ").map(Number);
  return { handle, shell: shell ?? -1, child: child ?? -1 };
}

describe("findTreePids", () => {
  it("finds a group's members", async () => {
    const dir = await makeTestDir();
    const { handle, shell, child } = await startShell(dir, {});
    expect(findTreePids([{ groupId: handle.pid }]).sort()).toEqual([shell, child].sort());
  });

  it("finds processes whose BOSUN_SPAWN_ID lists the id, and their descendants", async () => {
    const dir = await makeTestDir();
    const [outer, spawnId] = [createSpawnId(), createSpawnId()];
    const { shell, child } = await startShell(dir, { BOSUN_SPAWN_ID: `${outer} ${spawnId}` });
    expect(findTreePids([{ spawnId }]).sort()).toEqual([shell, child].sort());
    expect(findTreePids([{ spawnId: outer }]).sort()).toEqual([shell, child].sort());
  });

  it("reads no environment of a process older than the tree's start time (it cannot hold the id)", async () => {
    const dir = await makeTestDir();
    const spawnId = createSpawnId();
    const { shell, child } = await startShell(dir, { BOSUN_SPAWN_ID: spawnId });
    const shellStart = Number(readStartTime(shell));
    expect(findTreePids([{ spawnId, startTime: String(shellStart) }]).sort()).toEqual(
      [shell, child].sort(),
    );
    expect(findTreePids([{ spawnId, startTime: String(shellStart + 1_000_000) }])).toEqual([]);
  });

  it("ignores the id inside another variable's value, and part of an id", async () => {
    const dir = await makeTestDir();
    const spawnId = createSpawnId();
    await startShell(dir, { OTHER: `BOSUN_SPAWN_ID=${spawnId}`, BOSUN_SPAWN_ID: `x${spawnId}` });
    expect(findTreePids([{ spawnId }])).toEqual([]);
  });

  it("never names bosun itself, and nothing for an empty tree", () => {
    expect(findTreePids([{ groupId: process.pid }, { spawnId: "" }])).not.toContain(process.pid);
    expect(findTreePids([{}])).toEqual([]);
  });
});

describe("readStartTime", () => {
  it("reads a live process's start time and nothing for a dead pid", async () => {
    const dir = await makeTestDir({ "x.txt": "" });
    expect(readStartTime(process.pid)).toMatch(/^\d+$/);
    const done = startProcess({ command: "/bin/cat", args: [path.join(dir, "x.txt")], cwd: dir });
    for await (const _line of done.lines()) {
      // Drain.
    }
    await done.result;
    expect(readStartTime(done.pid)).toBeUndefined();
  });
});
