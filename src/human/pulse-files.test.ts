import { chmod, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { StateError, UsageError } from "../errors.js";
import { runProcess } from "../proc/run-process.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import {
  archiveGoal,
  listGoals,
  listSensors,
  readPlaybook,
  writeGoal,
  writePlaybook,
  writeSensor,
} from "./pulse-files.js";

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

describe("pulse goals", () => {
  it("writes, replaces and lists goals sorted by id", async () => {
    const paths = await makePaths();
    expect(await listGoals(paths)).toEqual([]);
    await writeGoal(paths, "tests-green", "All tests pass on main.\n");
    const file = await writeGoal(paths, "docs", "README covers pulse.\n");
    await writeGoal(paths, "tests-green", "All tests pass, fast.\n");
    expect(file).toBe(path.join(paths.pulse.goalsDir, "docs.md"));
    expect(await listGoals(paths)).toEqual([
      { id: "docs", text: "README covers pulse.\n" },
      { id: "tests-green", text: "All tests pass, fast.\n" },
    ]);
  });

  it("archives a goal under goals/archive/<id>-<stamp>.md, never deleting it", async () => {
    const paths = await makePaths();
    await writeGoal(paths, "g1", "Ship it.\n");
    const archived = await archiveGoal(paths, "g1", new Date("2026-12-03T13:45:00.123Z"));
    expect(archived).toBe(path.join(paths.pulse.archivedGoalsDir, "g1-20261203T134500123Z.md"));
    expect(await readFile(archived, "utf8")).toBe("Ship it.\n");
    expect(await listGoals(paths)).toEqual([]);
    // The same id, reached again later, is archived beside the first.
    await writeGoal(paths, "g1", "Ship it again.\n");
    await archiveGoal(paths, "g1", new Date("2026-12-04T00:00:00.000Z"));
    expect((await readdir(paths.pulse.archivedGoalsDir)).sort()).toEqual([
      "g1-20261203T134500123Z.md",
      "g1-20261204T000000000Z.md",
    ]);
  });

  it("refuses to archive a goal that does not exist, saying how to list them", async () => {
    const paths = await makePaths();
    const failure = archiveGoal(paths, "nope");
    await expect(failure).rejects.toBeInstanceOf(StateError);
    await expect(failure).rejects.toThrow(/No goal "nope".*bosun _ goal list/);
  });

  it("refuses a goal id that could leave the goals folder", async () => {
    const paths = await makePaths();
    await expect(writeGoal(paths, "../escape", "x")).rejects.toBeInstanceOf(StateError);
  });
});

describe("the pulse playbook", () => {
  it('reads "" when there is none', async () => {
    expect(await readPlaybook(await makePaths())).toBe("");
  });

  it("keeps each replaced version in playbook-history/, and writes nothing for the same text", async () => {
    const paths = await makePaths();
    expect(await writePlaybook(paths, "v1\n", new Date("2026-12-03T10:00:00.000Z"))).toEqual({
      isChanged: true,
    });
    expect(await writePlaybook(paths, "v1\n", new Date("2026-12-03T10:30:00.000Z"))).toEqual({
      isChanged: false,
    });
    const second = await writePlaybook(paths, "v2\n", new Date("2026-12-03T11:00:00.000Z"));
    expect(second).toEqual({
      isChanged: true,
      previousVersionFile: path.join(paths.pulse.playbookHistoryDir, "2026-12-03T11-00-00.000Z.md"),
    });
    // Two versions replaced within one millisecond are both kept.
    const third = await writePlaybook(paths, "v3\n", new Date("2026-12-03T11:00:00.000Z"));
    expect(third.previousVersionFile).toBe(
      path.join(paths.pulse.playbookHistoryDir, "2026-12-03T11-00-00.000Z_1.md"),
    );
    expect(await readPlaybook(paths)).toBe("v3\n");
    const history = (await readdir(paths.pulse.playbookHistoryDir)).sort();
    expect(
      await Promise.all(
        history.map((name) => readFile(path.join(paths.pulse.playbookHistoryDir, name), "utf8")),
      ),
    ).toEqual(["v1\n", "v2\n"]);
  });
});

describe("pulse sensors", () => {
  const SCRIPT = "#!/bin/sh\necho '{\"signal\": 1}'\n";

  it("writes an executable sensor, runnable at once", async () => {
    const dir = await makeTestDir();
    const paths = createBosunPaths(dir);
    const file = await writeSensor(paths, "one", SCRIPT);
    expect((await stat(file)).mode & 0o777).toBe(0o755);
    expect(await readFile(file, "utf8")).toBe(SCRIPT);
    const result = await runProcess({ command: file, args: [], cwd: dir, timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, stdout: '{"signal": 1}' });
  });

  it("puts the interval header after the shebang, replacing an old one", async () => {
    const paths = await makePaths();
    const file = await writeSensor(paths, "slow", `${SCRIPT}# bosun:interval=5\n`, 300);
    expect(await readFile(file, "utf8")).toBe(
      "#!/bin/sh\n# bosun:interval=300\necho '{\"signal\": 1}'\n",
    );
    await writeSensor(paths, "bare", "echo '{\"signal\": 2}'\n", 1.5);
    expect(await readFile(path.join(paths.pulse.sensorsDir, "bare"), "utf8")).toBe(
      "# bosun:interval=1.5\necho '{\"signal\": 2}'\n",
    );
  });

  it("leaves no temp file behind when writes of one sensor race", async () => {
    const paths = await makePaths();
    await Promise.all(
      Array.from({ length: 5 }, (_, n) => writeSensor(paths, "busy", `${SCRIPT}# ${n}\n`)),
    );
    expect(await readdir(paths.pulse.sensorsDir)).toEqual(["busy"]);
  });

  it("refuses names the loop would skip or that leave the folder, and a bad interval", async () => {
    const paths = await makePaths();
    for (const name of [".hidden", "notes.md", "../x", "a/b", ""]) {
      await expect(writeSensor(paths, name, SCRIPT), name).rejects.toBeInstanceOf(UsageError);
    }
    await expect(writeSensor(paths, "x", SCRIPT, 0)).rejects.toBeInstanceOf(UsageError);
  });

  it("lists sensors as the loop sees them: interval, executable or not, notes and hidden files left out", async () => {
    const paths = await makePaths();
    await writeSensor(paths, "b-ci", SCRIPT, 60);
    await writeSensor(paths, "a-disk", SCRIPT);
    await writeFile(path.join(paths.pulse.sensorsDir, "c-manual"), SCRIPT);
    await chmod(path.join(paths.pulse.sensorsDir, "c-manual"), 0o644);
    await writeFile(path.join(paths.pulse.sensorsDir, "README.md"), "notes");
    await writeFile(path.join(paths.pulse.sensorsDir, ".swp"), "x");
    await mkdir(path.join(paths.pulse.sensorsDir, "lib"));
    expect(await listSensors(paths)).toEqual([
      { name: "a-disk", isExecutable: true },
      { name: "b-ci", intervalSec: 60, isExecutable: true },
      { name: "c-manual", isExecutable: false },
    ]);
  });
});
