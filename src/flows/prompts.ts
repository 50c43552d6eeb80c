/**
 * Builds the worker and reviewer prompts: the template (a user's .bosun/templates/<role>.md
 * wins over the built-in one) filled with the task card, fix list, diff and project role docs
 * (AGENTS.md, docs/roles/<role>.md), which override built-in guidance when present.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isNodeError } from "../errors.js";
import type { BosunPaths } from "../store/paths.js";
import type { FixItem } from "../store/schema/reports.js";
import { BUILTIN_TEMPLATES, fillPromptTemplate, type TemplateName } from "./templates.js";

/** Reads the template for a role: the project's copy if present, else the built-in. */
export async function readPromptTemplate(paths: BosunPaths, role: TemplateName): Promise<string> {
  return (
    (await readOptional(path.join(paths.templatesDir, `${role}.md`))) ?? BUILTIN_TEMPLATES[role]
  );
}

/** Reads the project's guidance for a role: AGENTS.md (worker only) and docs/roles/<role>.md. */
export async function readRoleDocs(
  root: string,
  role: string,
): Promise<{ agentsMd: string; roleDoc: string }> {
  const agentsMd = role === "worker" ? await readOptional(path.join(root, "AGENTS.md")) : null;
  const roleDoc = await readProjectRoleDoc(root, role);
  return {
    agentsMd: agentsMd === null ? "" : `## Project instructions (AGENTS.md)\n${agentsMd.trim()}\n`,
    roleDoc: roleDoc === null ? "" : `## Your role (docs/roles/${role}.md)\n${roleDoc.trim()}\n`,
  };
}

/** Where a project keeps its guidance for each role, relative to the repository root. */
export const ROLE_DOCS_DIR = "docs/roles";

/**
 * Reads `docs/roles/<role>.md`, the project's own guidance for a role (a review role or a team
 * role id, which the caller has checked is a safe file name); null when there is none.
 */
export async function readProjectRoleDoc(root: string, role: string): Promise<string | null> {
  return readOptional(path.join(root, ROLE_DOCS_DIR, `${role}.md`));
}

/** Renders a fix list as a prompt section ("" when there is nothing to fix). */
export function formatFixList(items: readonly FixItem[], note?: string): string {
  if (items.length === 0 && note === undefined) return "";
  const lines = items.map((item, index) => {
    const where = item.file === undefined ? "" : ` (${item.file})`;
    const severity = item.severity === undefined ? "" : `[${item.severity}] `;
    return `${index + 1}. ${severity}${item.reason}${where} — from ${item.source}`;
  });
  const human = note === undefined ? "" : `\nA human adds: ${note}\n`;
  return `\n## Fix list from the previous round (fix every item)\n${lines.join("\n")}\n${human}`;
}

/** Fills a template. */
export function renderPrompt(template: string, values: Readonly<Record<string, string>>): string {
  return fillPromptTemplate(template, values);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && (error.code === "ENOENT" || error.code === "EISDIR")) return null;
    throw error;
  }
}
