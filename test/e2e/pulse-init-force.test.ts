import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createBosunPaths } from "../../src/store/paths.js";
import { runMainInProcess } from "../helpers/in-process-cli.js";
import { makeTestDir } from "../helpers/testdir.js";

describe("bosun pulse init --force", () => {
  it("keeps the playbook it replaces in playbook-history/, as every playbook write does", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    await mkdir(paths.pulse.dir, { recursive: true });
    await writeFile(paths.pulse.playbookFile, "# My playbook\n\nNever touch prod.\n");
    const home = { BOSUN_HOME: path.join(root, "bosun-home") };
    const result = await runMainInProcess(["--root", root, "pulse", "init", "--force"], home);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(paths.pulse.playbookFile, "utf8")).not.toContain("Never touch prod");
    const kept = await readdir(paths.pulse.playbookHistoryDir);
    expect(kept).toHaveLength(1);
    expect(await readFile(path.join(paths.pulse.playbookHistoryDir, kept[0] ?? ""), "utf8")).toBe(
      "# My playbook\n\nNever touch prod.\n",
    );
  });
});
