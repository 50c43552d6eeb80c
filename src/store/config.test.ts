import { mkdir, symlink, writeFile } from "node:fs/promises";
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

  it("rejects unknown keys, at the top level and nested, with the line and the nearest key", async () => {
    const top = await makeConfigDirs({ workspace: "reveiw:\n  maxRounds: 2\n" });
    expect((await catchConfigError(loadConfig(top.root))).message).toBe(
      `Invalid ${top.workspaceFile}: reveiw: unknown key; did you mean "review"? (line 1). Fix the file.`,
    );
    const nested = await makeConfigDirs({ workspace: "review:\n  worker: codex\n  maxRound: 2\n" });
    const error = await catchConfigError(loadConfig(nested.root));
    expect(error.message).toBe(
      `Invalid ${nested.workspaceFile}: review.maxRound: unknown key; did you mean "maxRounds"? (line 3). Fix the file.`,
    );
    expect(error.issues).toEqual([
      {
        file: nested.workspaceFile,
        line: 3,
        key: "review.maxRound",
        message: 'unknown key; did you mean "maxRounds"?',
      },
    ]);
    // The message is for every command, "bosun validate" included: it does not send you there.
    expect(error.message).not.toContain("bosun validate");
  });

  it("lists the known keys when no key is near, and reports every problem of both files", async () => {
    const { root, globalFile, workspaceFile } = await makeConfigDirs({
      global: "dispatch:\n  retries: -1\n",
      workspace: "agents:\n  claude:\n    zzzzzz: 1\n",
    });
    const error = await catchConfigError(loadConfig(root));
    expect(error.issues.map((issue) => [issue.file, issue.key, issue.line])).toEqual([
      [globalFile, "dispatch.retries", 2],
      [workspaceFile, "agents.claude.zzzzzz", 3],
    ]);
    expect(error.issues[1]?.message).toBe(
      "unknown key (known keys here: command, template, parser, args, model, thinking, env, script)",
    );
  });

  it.each([
    [
      "an alias to no anchor",
      "review: *nothere\n",
      /^Invalid .*bosun\.yaml:1: an alias \(\*name\) refers to no anchor/,
    ],
    [
      "an alias bomb",
      `a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
      /^Invalid .*bosun\.yaml: too many aliases/,
    ],
  ])(
    "rejects %s with a ConfigError naming the file, not a crash",
    async (_what, yaml, expected) => {
      const { root } = await makeConfigDirs({ workspace: yaml });
      const error = await catchConfigError(loadConfig(root));
      expect(error.message).toMatch(expected);
    },
  );

  it("names the file when bosun.yaml is a directory or a symlink loop, or BOSUN_HOME is a file", async () => {
    const dirCase = await makeConfigDirs({});
    await mkdir(dirCase.workspaceFile);
    expect((await catchConfigError(loadConfig(dirCase.root))).message).toBe(
      `Invalid ${dirCase.workspaceFile}: cannot be read: it is a directory, not a file (EISDIR); it must be a YAML file. Make it a readable YAML file, or remove it.`,
    );
    const loop = await makeConfigDirs({});
    await symlink(loop.workspaceFile, loop.workspaceFile);
    expect((await catchConfigError(loadConfig(loop.root))).message).toContain(
      `Invalid ${loop.workspaceFile}: cannot be read: it is a symbolic link loop (ELOOP)`,
    );
    const home = await makeConfigDirs({});
    const homeFile = path.join(path.dirname(home.root), "home-file");
    await writeFile(homeFile, "not a directory");
    const error = await catchConfigError(loadConfig(home.root, { BOSUN_HOME: homeFile }));
    expect(error.message).toContain(
      `Invalid ${homeFile}/config.yaml: cannot be read: ${homeFile} is not a directory (ENOTDIR) (is BOSUN_HOME or XDG_CONFIG_HOME a file?)`,
    );
  });

  it.each([
    ["dispatch.timeoutSec", "dispatch:\n  timeoutSec: 1e10\n"],
    ["dispatch.timeoutSec", "dispatch:\n  timeoutSec: 2147484\n"],
    ["dispatch.graceSec", "dispatch:\n  graceSec: 9999999999\n"],
    ["dispatch.retryBaseSec", "dispatch:\n  retryBaseSec: .inf\n"],
    ["dispatch.retryCapSec", "dispatch:\n  retryCapSec: 3000000\n"],
    ["dispatch.stallTimeoutSec", "dispatch:\n  stallTimeoutSec: 3000000\n"],
  ])("refuses %s longer than a timer can hold (%j)", async (key, yaml) => {
    const { root, workspaceFile } = await makeConfigDirs({ workspace: yaml });
    const error = await catchConfigError(loadConfig(root));
    expect(error.message).toMatch(
      new RegExp(`^Invalid ${workspaceFile}: ${key.replace(".", "\\.")}: `),
    );
    expect(error.issues[0]?.line).toBe(2);
  });

  it.each([
    ["dispatch.toolCallTimeoutSec", "dispatch:\n  toolCallTimeoutSec: -1\n"],
    ["dispatch.repeatedToolFailures", "dispatch:\n  repeatedToolFailures: 2.5\n"],
  ])("refuses a bad %s (%j)", async (key, yaml) => {
    const { root, workspaceFile } = await makeConfigDirs({ workspace: yaml });
    const error = await catchConfigError(loadConfig(root));
    expect(error.message).toMatch(
      new RegExp(`^Invalid ${workspaceFile}: ${key.replace(".", "\\.")}: `),
    );
  });

  it("reads the stall limits, 0 turning a check off", async () => {
    const { root } = await makeConfigDirs({
      workspace:
        "dispatch:\n  stallTimeoutSec: 0\n  toolCallTimeoutSec: 1200\n  repeatedToolFailures: 6\n",
    });
    expect((await loadConfig(root)).config.dispatch).toMatchObject({
      stallTimeoutSec: 0,
      toolCallTimeoutSec: 1200,
      repeatedToolFailures: 6,
    });
    expect(DEFAULT_CONFIG.dispatch).toMatchObject({
      stallTimeoutSec: 300,
      toolCallTimeoutSec: 900,
      repeatedToolFailures: 4,
    });
  });

  it("accepts the longest timeout a timer can hold", async () => {
    const { root } = await makeConfigDirs({ workspace: "dispatch:\n  timeoutSec: 2147483\n" });
    expect((await loadConfig(root)).config.dispatch.timeoutSec).toBe(2147483);
  });
});

describe("team", () => {
  it("merges team roles from both files, keeping where each value came from", async () => {
    const { root, globalFile, workspaceFile } = await makeConfigDirs({
      global: "team:\n  backend: { harness: codex, model: gpt-5.5, thinking: high }\n",
      workspace:
        "team:\n  backend:\n    paths: [src/server, migrations]\n  frontend: { harness: claude }\n",
    });
    const { config, sources } = await loadConfig(root);
    expect(config.team).toEqual({
      backend: {
        harness: "codex",
        model: "gpt-5.5",
        thinking: "high",
        paths: ["src/server", "migrations"],
      },
      frontend: { harness: "claude" },
    });
    expect(sources["team.backend.model"]).toBe(globalFile);
    expect(sources["team.backend.paths"]).toBe(workspaceFile);
  });

  it("defaults to no team", async () => {
    const { root } = await makeConfigDirs({});
    expect((await loadConfig(root)).config.team).toEqual({});
  });

  it("rejects an unknown key, a role id that is not a safe name, and paths outside the repository", async () => {
    const { root, workspaceFile } = await makeConfigDirs({
      workspace: [
        "team:",
        "  backend: { harness: codex, modle: gpt-5.5 }",
        '  "../evil": { harness: codex }',
        "  docs: { paths: [/etc, ../other, src/../../x] }",
        "  qa: { model: '' }",
        "",
      ].join("\n"),
    });
    const error = await catchConfigError(loadConfig(root));
    expect(error.issues.map((issue) => [issue.key, issue.line])).toEqual([
      ["team.backend.modle", 2],
      ["team.docs.paths.0", 4],
      ["team.docs.paths.1", 4],
      ["team.docs.paths.2", 4],
      ["team.qa.model", 5],
      ["team.../evil", 3],
    ]);
    expect(error.message).toContain(
      `Invalid ${workspaceFile}: team.backend.modle: unknown key; did you mean "model"?`,
    );
    expect(error.issues[5]?.message).toMatch(/^not a role id: an id is letters, digits/);
    expect(error.issues[1]?.message).toBe(
      "must be relative to the repository root and stay inside it (no leading / and no ..)",
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

  it("takes pipeline.pairs as a list or autoloop's comma string, refusing unknown or out-of-order pairs", () => {
    expect(parseConfigText("pipeline:\n  pairs: plan, implement\n", "bosun.yaml").pipeline).toEqual(
      {
        pairs: "plan, implement",
      },
    );
    expect(parseConfigText("pipeline:\n  pairs: [test, audit]\n", "bosun.yaml").pipeline).toEqual({
      pairs: ["test", "audit"],
    });
    for (const pairs of ["plan,foo", "test,plan", "plan,plan", ""])
      expect(() => parseConfigText(`pipeline:\n  pairs: "${pairs}"\n`, "bosun.yaml")).toThrow(
        /pipeline\.pairs/,
      );
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
