import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { readCodexDefaultModel } from "./config.js";

describe("readCodexDefaultModel", () => {
  it("reads the top-level model from $HOME/.codex/config.toml", async () => {
    const home = await makeTestDir({
      ".codex/config.toml":
        'model = "gpt-5.5"\nmodel_provider = "mock"\n[model_providers.mock]\nmodel = "other"\n',
    });
    expect(await readCodexDefaultModel({ HOME: home })).toBe("gpt-5.5");
  });

  it("prefers CODEX_HOME, and ignores a model key inside a table", async () => {
    const dir = await makeTestDir();
    await mkdir(path.join(dir, "codex"), { recursive: true });
    await writeFile(
      path.join(dir, "codex", "config.toml"),
      '[profiles.fast]\nmodel = "gpt-5-mini"\n',
    );
    expect(
      await readCodexDefaultModel({ HOME: dir, CODEX_HOME: path.join(dir, "codex") }),
    ).toBeUndefined();
  });

  it("is undefined without a config file", async () => {
    const home = await makeTestDir();
    expect(await readCodexDefaultModel({ HOME: home })).toBeUndefined();
  });
});
