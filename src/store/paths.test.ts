import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, getGlobalConfigDir, getGlobalConfigFile } from "./paths.js";

describe("createBosunPaths", () => {
  it("puts everything under <root>/.bosun", () => {
    const paths = createBosunPaths("/repo/sub/..");
    expect({
      root: paths.root,
      config: paths.workspaceConfigFile,
      run: paths.runFile("20261122-120000-ab12"),
      events: paths.eventsFile("20261122-120000-ab12"),
      lock: paths.lockFile("20261122-120000-ab12"),
      round: paths.roundDir("r1", "T-001", 2),
      ask: paths.askFile("ask-1"),
      answer: paths.answerFile("ask-1"),
      costs: paths.costsFile,
      templates: paths.templatesDir,
    }).toMatchInlineSnapshot(`
      {
        "answer": "/repo/.bosun/asks/answers/ask-1.json",
        "ask": "/repo/.bosun/asks/ask-1.json",
        "config": "/repo/bosun.yaml",
        "costs": "/repo/.bosun/costs.jsonl",
        "events": "/repo/.bosun/runs/20261122-120000-ab12/events.jsonl",
        "lock": "/repo/.bosun/runs/20261122-120000-ab12/lock",
        "root": "/repo",
        "round": "/repo/.bosun/runs/r1/tasks/T-001/rounds/2",
        "run": "/repo/.bosun/runs/20261122-120000-ab12/run.json",
        "templates": "/repo/.bosun/templates",
      }
    `);
  });

  it.each([
    "..",
    "../escape",
    "a/b",
    "a\\b",
    "/abs",
    ".hidden",
    "",
    "-flag",
    "x".repeat(200),
    "a b",
    "a\0b",
  ])("refuses the id %j, which could escape .bosun", (id) => {
    const paths = createBosunPaths("/repo");
    expect(() => paths.runDir(id)).toThrow(/^Invalid run id /);
    expect(() => paths.taskDir("r1", id)).toThrow(/^Invalid task id /);
    expect(() => paths.askFile(id)).toThrow(/^Invalid ask id /);
    expect(() => paths.answerFile(id)).toThrow(/^Invalid ask id /);
  });

  it("lays out a pipeline run's story, ledger and artifacts under its run folder, a phase's under its pair", () => {
    const paths = createBosunPaths("/repo");
    const run = "/repo/.bosun/runs/r1";

    expect(paths.rawPhaseLogFile("r1")).toBe(`${run}/raw_phase_log.md`);
    expect(paths.decisionsFile("r1")).toBe(`${run}/decisions.md`);
    expect(paths.pairArtifactDir("r1", "plan")).toBe(`${run}/artifacts/plan`);
    expect(paths.pairArtifactDir("r1", "implement", "core")).toBe(
      `${run}/artifacts/implement/phases/core`,
    );
    expect(() => paths.pairArtifactDir("r1", "test", "../x")).toThrow(/phase id/);
  });

  it("keeps a phased round's files under its pair's artifacts, a plain round's under its task", () => {
    const paths = createBosunPaths("/repo");
    const run = "/repo/.bosun/runs/r1";
    expect(paths.roundDir("r1", "T", 2)).toBe(`${run}/tasks/T/rounds/2`);
    expect(paths.roundDir("r1", "T", 2, "plan")).toBe(`${run}/artifacts/plan/rounds/2`);
    expect(paths.roundFile("r1", "T", 1, "verdict.json", "implement/p1")).toBe(
      `${run}/artifacts/implement/phases/p1/rounds/1/verdict.json`,
    );
    expect(paths.attemptDir("r1", "T", 3, "worker", 2, "test/p2")).toBe(
      `${run}/artifacts/test/phases/p2/rounds/3/worker-2`,
    );
    expect(() => paths.roundDir("r1", "T", 1, "implement/../../x")).toThrow(/phase id/);
  });

  it("keys a working tree's lock by a hash of its path, under .bosun/locks", () => {
    const paths = createBosunPaths("/repo");
    expect(paths.locksDir).toBe("/repo/.bosun/locks");
    const main = paths.treeLockFile("/repo");
    expect(main).toMatch(/^\/repo\/\.bosun\/locks\/[0-9a-f]{16}\.lock$/);
    expect(paths.treeLockFile("/repo")).toBe(main);
    expect(paths.treeLockFile("/wt/task-1")).not.toBe(main);
    // Any byte and any length of path still makes one short, safe file name.
    expect(path.basename(paths.treeLockFile(`/x/${"ü\n".repeat(300)}`))).toMatch(
      /^[0-9a-f]{16}\.lock$/,
    );
  });

  it("keeps .bosun/ in the state root when one is given (a linked worktree's main checkout)", () => {
    const paths = createBosunPaths("/wt/task-1", "/repo");
    expect(paths.root).toBe("/wt/task-1");
    expect(paths.workspaceConfigFile).toBe("/wt/task-1/bosun.yaml");
    expect(paths.bosunDir).toBe("/repo/.bosun");
    expect(paths.runFile("r1")).toBe("/repo/.bosun/runs/r1/run.json");
    expect(paths.treeLockFile("/wt/task-1")).toBe(
      createBosunPaths("/repo").treeLockFile("/wt/task-1"),
    );
  });

  it("accepts ids made of letters, digits, dot, underscore and dash", () => {
    const paths = createBosunPaths("/repo");
    expect(paths.taskDir("r.1_x-2", "T-001.v2")).toBe("/repo/.bosun/runs/r.1_x-2/tasks/T-001.v2");
  });
});

describe("getGlobalConfigDir", () => {
  it("uses BOSUN_HOME first", async () => {
    const dir = await makeTestDir();
    expect(getGlobalConfigDir()).toBe(path.join(dir, "bosun-home"));
    expect(getGlobalConfigFile()).toBe(path.join(dir, "bosun-home", "config.yaml"));
    expect(getGlobalConfigDir({ BOSUN_HOME: "rel/home", XDG_CONFIG_HOME: "/xdg" })).toBe(
      path.resolve("rel/home"),
    );
  });

  it("falls back to $XDG_CONFIG_HOME/bosun, then ~/.config/bosun", () => {
    expect(getGlobalConfigDir({ BOSUN_HOME: "", XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/bosun");
    expect(getGlobalConfigDir({})).toBe(path.join(os.homedir(), ".config", "bosun"));
  });
});
