import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { makeTestDir, writeTree } from "../../test/helpers/testdir.js";
import { loadConfig, parseConfigText, resolveConfig } from "./config.js";
import { DEFAULT_CONFIG } from "./schema/config.js";

/** A repo dir with an optional workspace bosun.yaml and global config.yaml (under BOSUN_HOME). */
async function makeConfigDirs(files: {
  workspace?: string;
  global?: string;
}): Promise<{ root: string; globalFile: string; workspaceFile: string }> {
  const dir = await makeTestDir();
  const root = path.join(dir, "repo");
  const globalFile = path.join(dir, "bosun-home", "config.yaml");
  const workspaceFile = path.join(root, "bosun.yaml");
  await writeTree(dir, {
    "repo/.keep": "",
    ...(files.global === undefined ? {} : { "bosun-home/config.yaml": files.global }),
    ...(files.workspace === undefined ? {} : { "repo/bosun.yaml": files.workspace }),
  });
  return { root, globalFile, workspaceFile };
}

async function catchConfigError(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("loadConfig", () => {
  it("returns the defaults, all sourced from 'default', when no file exists", async () => {
    const { root } = await makeConfigDirs({});
    const resolved = await loadConfig(root);
    expect(resolved.config).toEqual(DEFAULT_CONFIG);
    expect(resolved.files).toEqual([]);
    expect(new Set(Object.values(resolved.sources))).toEqual(new Set(["default"]));
    expect(resolved.sources["review.maxRounds"]).toBe("default");
  });

  it("merges global then workspace; the workspace wins and sources name the files", async () => {
    const { root, globalFile, workspaceFile } = await makeConfigDirs({
      global: "review:\n  worker: codex\n  maxRounds: 5\nagents:\n  claude:\n    model: opus\n",
      workspace:
        "version: 1\nreview:\n  maxRounds: 7\nagents:\n  claude:\n    args: [--max-turns, '9']\n",
    });
    const { config, sources, files } = await loadConfig(root);
    expect(files).toEqual([globalFile, workspaceFile]);
    expect(config.review).toEqual({ worker: "codex", reviewer: "codex", maxRounds: 7, verify: "" });
    expect(config.agents).toEqual({ claude: { model: "opus", args: ["--max-turns", "9"] } });
    expect(config.dispatch).toEqual(DEFAULT_CONFIG.dispatch);
    expect({
      worker: sources["review.worker"],
      maxRounds: sources["review.maxRounds"],
      reviewer: sources["review.reviewer"],
      model: sources["agents.claude.model"],
      args: sources["agents.claude.args"],
    }).toEqual({
      worker: globalFile,
      maxRounds: workspaceFile,
      reviewer: "default",
      model: globalFile,
      args: workspaceFile,
    });
    expect(sources["version"]).toBeUndefined();
  });

  it("treats an empty file as no settings", async () => {
    const { root } = await makeConfigDirs({ workspace: "# nothing yet\n" });
    expect((await loadConfig(root)).config).toEqual(DEFAULT_CONFIG);
  });

  it("rejects bad YAML with a ConfigError (exit 2) naming file:line", async () => {
    const { root, workspaceFile } = await makeConfigDirs({
      workspace: "review:\n  worker: codex\n  maxRounds: [1\n",
    });
    const error = await catchConfigError(loadConfig(root));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(new RegExp(`^Invalid ${workspaceFile}:[34]: `));
    expect(error.message).toContain("Fix the YAML syntax.");
    expect(error.message.includes("\n")).toBe(false);
  });

  it("rejects a bad value naming review.maxRounds and what was expected", async () => {
    const { root, workspaceFile } = await makeConfigDirs({
      workspace: "review:\n  maxRounds: lots\n",
    });
    const error = await catchConfigError(loadConfig(root));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`Invalid ${workspaceFile}: review.maxRounds: `);
    expect(error.message).toMatch(/expected number/);
  });

  it("rejects a bad value in the global file, naming that file", async () => {
    const { root, globalFile } = await makeConfigDirs({ global: "dispatch:\n  retries: -1\n" });
    const error = await catchConfigError(loadConfig(root));
    expect(error.message).toContain(`Invalid ${globalFile}: dispatch.retries: `);
  });

  it("rejects unknown keys, at the top level and nested", async () => {
    const top = await makeConfigDirs({ workspace: "reveiw:\n  maxRounds: 2\n" });
    expect((await catchConfigError(loadConfig(top.root))).message).toMatch(
      /Unrecognized key.*"reveiw"/,
    );
    const nested = await makeConfigDirs({ workspace: "review:\n  maxRound: 2\n" });
    expect((await catchConfigError(loadConfig(nested.root))).message).toMatch(
      /review: Unrecognized key.*"maxRound"/,
    );
  });
});

describe("parseConfigText", () => {
  it("rejects an unknown parser for a custom agent, naming the key path", () => {
    expect(() =>
      parseConfigText(
        "agents:\n  mytool:\n    template: mytool {{prompt_file}}\n    parser: xml\n",
        "bosun.yaml",
      ),
    ).toThrow(/^Invalid bosun\.yaml: agents\.mytool\.parser: /);
  });

  it("rejects a version other than 1", () => {
    expect(() => parseConfigText("version: 2\n", "bosun.yaml")).toThrow(/version: /);
  });
});

describe("resolveConfig", () => {
  it("does not mutate the defaults", () => {
    const before = structuredClone(DEFAULT_CONFIG);
    resolveConfig([
      { source: "a.yaml", data: { review: { maxRounds: 9 }, agents: { x: { model: "m" } } } },
    ]);
    expect(DEFAULT_CONFIG).toEqual(before);
  });
});
