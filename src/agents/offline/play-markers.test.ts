import { execFileSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { getPlayMarkerDir, writePlayMarker } from "./play-markers.js";
import type { OfflineScript } from "./script.js";

const SCRIPT: OfflineScript = { version: 1, steps: [{ times: 2, actions: [{ say: "hi" }] }] };

describe("getPlayMarkerDir", () => {
  it("counts per run and per script content, next to the script", () => {
    const file = "/scripts/offline.json";
    const dir = getPlayMarkerDir(file, SCRIPT, "run-1");
    expect(path.dirname(dir)).toBe("/scripts/offline.json.state");
    expect(getPlayMarkerDir(file, SCRIPT, "run-1")).toBe(dir);
    expect(getPlayMarkerDir(file, SCRIPT, "run-2")).not.toBe(dir);
    const edited: OfflineScript = { version: 1, steps: [{ times: 3, actions: [] }] };
    expect(getPlayMarkerDir(file, edited, "run-1")).not.toBe(dir);
  });

  it("keeps a strange run id one path segment", () => {
    const dir = getPlayMarkerDir("/s.json", SCRIPT, "../../etc");
    expect(path.dirname(dir)).toBe("/s.json.state");
    expect(path.basename(dir)).toMatch(/^\.\._\.\._etc-[0-9a-f]{12}$/);
  });
});

describe("writePlayMarker", () => {
  it("grants a step exactly `times` plays, counted apart from other steps", async () => {
    const markerDir = getPlayMarkerDir(path.join(await makeTestDir(), "s.json"), SCRIPT, "r");
    expect(await writePlayMarker(markerDir, 0, 2)).toBe(true);
    expect(await writePlayMarker(markerDir, 0, 2)).toBe(true);
    expect(await writePlayMarker(markerDir, 0, 2)).toBe(false);
    expect(await writePlayMarker(markerDir, 1, 1)).toBe(true);
    expect(await writePlayMarker(markerDir, 1, 1)).toBe(false);
    expect((await readdir(markerDir)).sort()).toEqual(["step-0.1", "step-0.2", "step-1.1"]);
  });

  it("never grants the last play twice to claims made at the same time", async () => {
    const markerDir = getPlayMarkerDir(path.join(await makeTestDir(), "s.json"), SCRIPT, "r");
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => writePlayMarker(markerDir, 0, 3)),
    );
    expect(claims.filter(Boolean)).toHaveLength(3);
  });

  it("hides the counts from git, so a script inside the repository leaves no change", async () => {
    const dir = await makeTestDir();
    const git = (args: string[]): string =>
      execFileSync("git", args, {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
      });
    git(["init", "-q"]);
    const markerDir = getPlayMarkerDir(path.join(dir, "s.json"), SCRIPT, "r");
    await writePlayMarker(markerDir, 0, 1);
    expect(await readdir(markerDir)).toEqual(["step-0.1"]);
    expect(git(["status", "--porcelain", "--untracked-files=all"])).toBe("");
  });
});
