import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { BUILTIN_HARNESSES } from "../../agents/harnesses.js";
import { UsageError } from "../../errors.js";
import { createBosunPaths, isSafeId } from "../../store/paths.js";
import { BUILTIN_ROLES, getBuiltinRole, listRoles, readRole } from "./roles.js";
import { createRolePrompt } from "./role-definition.js";

/** The disciplines the role library promises (README, bosun roles). */
const PROMISED = [
  "architect",
  "product-manager",
  "frontend",
  "backend",
  "full-stack",
  "qa",
  "test-automation",
  "devops",
  "sre",
  "security",
  "dba",
  "performance",
  "accessibility",
  "mobile",
  "data",
  "ml",
  "docs",
];

describe("the built-in role library", () => {
  it("has at least 27 roles with unique, safe ids, including every promised discipline", () => {
    const ids = BUILTIN_ROLES.map((role) => role.id);
    expect(ids.length).toBeGreaterThanOrEqual(27);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !isSafeId(id))).toEqual([]);
    expect(PROMISED.filter((id) => !ids.includes(id))).toEqual([]);
  });

  it("gives every role a title, a summary and a built-in harness", () => {
    for (const role of BUILTIN_ROLES) {
      expect(role.title, role.id).toMatch(/\S/);
      expect(role.summary.length, role.id).toBeGreaterThan(20);
      expect(Object.keys(BUILTIN_HARNESSES), role.id).toContain(role.harness);
    }
  });

  it("writes every prompt as a real, discipline-specific brief: mission, checks, limits, self-verification", () => {
    for (const role of BUILTIN_ROLES) {
      const prompt = createRolePrompt(role);
      expect(prompt, role.id).toContain(`You are the team's ${role.title}.`);
      expect(prompt, role.id).toMatch(/\n\nWhat you check:\n- .+\n- .+/);
      expect(prompt, role.id).toMatch(/\n\nWhat you never do:\n- .+\n- .+/);
      expect(prompt, role.id).toMatch(/\n\nHow you verify your own work:\n- .+\n- .+/);
      expect(role.mission.length, role.id).toBeGreaterThan(150);
      expect(prompt.length, role.id).toBeGreaterThan(900);
    }
  });

  it("is counted right in the README", async () => {
    const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`a library of ${BUILTIN_ROLES.length} specialist roles`);
  });

  it("shares no mission and no checklist line between two roles", () => {
    const owners = new Map<string, string>();
    const repeated: string[] = [];
    for (const role of BUILTIN_ROLES) {
      for (const line of [role.mission, ...role.checks, ...role.never, ...role.verify]) {
        const owner = owners.get(line);
        if (owner !== undefined && owner !== role.id)
          repeated.push(`${owner} / ${role.id}: ${line}`);
        owners.set(line, role.id);
      }
    }
    expect(repeated).toEqual([]);
  });
});

describe("readRole and listRoles", () => {
  it("returns the built-in prompt when the project has no docs/roles file", async () => {
    const paths = createBosunPaths(await makeTestDir());
    const backend = getBuiltinRole("backend");
    expect(backend).toBeDefined();
    expect(await readRole(paths, "backend")).toEqual({
      id: "backend",
      title: "Backend engineer",
      summary: backend?.summary,
      harness: "codex",
      prompt: backend === undefined ? "" : createRolePrompt(backend),
      isBuiltIn: true,
      promptFile: null,
    });
    expect(await readRole(paths, "no-such-role")).toBeNull();
  });

  it("lets docs/roles/<id>.md replace a built-in prompt and define project-only roles", async () => {
    const root = await makeTestDir({
      "docs/roles/backend.md": "Our backend is Go. Run `make test` before reporting.\n",
      "docs/roles/payments.md":
        "# Payments specialist\n\nOwns the ledger and Stripe webhooks.\n\nNever …\n",
      "docs/roles/analytics.md": "Dashboards and event schemas.\n",
      "docs/roles/README.md": "How we write role files.\n",
      "docs/roles/empty.md": "  \n",
      "docs/roles/notes.txt": "not a role\n",
    });
    const paths = createBosunPaths(root);
    expect(await readRole(paths, "backend")).toMatchObject({
      title: "Backend engineer",
      harness: "codex",
      prompt: "Our backend is Go. Run `make test` before reporting.",
      isBuiltIn: true,
      promptFile: "docs/roles/backend.md",
    });
    const roles = await listRoles(paths);
    expect(roles.slice(0, BUILTIN_ROLES.length).map((r) => r.id)).toEqual(
      BUILTIN_ROLES.map((r) => r.id),
    );
    expect(roles.slice(BUILTIN_ROLES.length)).toEqual([
      {
        id: "analytics",
        title: "analytics",
        summary: "Dashboards and event schemas.",
        harness: null,
        prompt: "Dashboards and event schemas.",
        isBuiltIn: false,
        promptFile: "docs/roles/analytics.md",
      },
      {
        id: "payments",
        title: "Payments specialist",
        summary: "Owns the ledger and Stripe webhooks.",
        harness: null,
        prompt: "# Payments specialist\n\nOwns the ledger and Stripe webhooks.\n\nNever …",
        isBuiltIn: false,
        promptFile: "docs/roles/payments.md",
      },
    ]);
    expect(roles.find((r) => r.id === "backend")?.promptFile).toBe("docs/roles/backend.md");
    expect(roles.find((r) => r.id === "frontend")?.promptFile).toBeNull();
    // A blank file neither overrides nor defines a role.
    expect(await readRole(paths, "empty")).toBeNull();
  });

  it("refuses a role id that could escape docs/roles", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await expect(readRole(paths, "../secrets")).rejects.toThrow(UsageError);
    await expect(readRole(paths, "../secrets")).rejects.toThrow(
      /^Invalid role id "\.\.\/secrets": an id is/,
    );
  });
});
