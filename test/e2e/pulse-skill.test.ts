/**
 * `bosun skill install`: the operator skill shipped in the package lands where agents load skills,
 * with the frontmatter the Agent Skills standard needs and the safety rules in it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTempDir, createTempGitRepo } from "../helpers/agent-env.js";
import { assertBosunBuilt, createBosunEnv, runBosun } from "../helpers/run-bosun.js";

beforeAll(assertBosunBuilt);

describe("bosun skill install", () => {
  it("places SKILL.md in the repository's .claude/skills and .agents/skills, or in --dir", async () => {
    const repo = await createTempGitRepo();
    const home = await createTempDir("bosun-home-");
    const env = createBosunEnv(home);
    const installed = await runBosun(["skill", "install"], { cwd: repo, env });
    expect(installed.exitCode, installed.stderr).toBe(0);
    for (const root of [".claude/skills", ".agents/skills"]) {
      const text = await readFile(join(repo, root, "bosun", "SKILL.md"), "utf8");
      expect(text).toMatch(/^---\nname: bosun\ndescription: .+\n---\n/);
      expect(text).toContain("Never approve your own gated move");
      expect(text).toContain("bosun _ wait --actionable");
    }
    const dir = await createTempDir("bosun-skills-");
    const json = await runBosun(["--json", "skill", "install", "--dir", dir], { cwd: repo, env });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ installed: [join(dir, "bosun", "SKILL.md")] });
    const global = await runBosun(["--json", "skill", "install", "--global"], { cwd: repo, env });
    expect(JSON.parse(global.stdout)).toEqual({
      installed: [
        join(home, ".claude/skills/bosun/SKILL.md"),
        join(home, ".agents/skills/bosun/SKILL.md"),
      ],
    });
  });
});
