/**
 * The team's role library: the built-in specialists, and the project's own `docs/roles/<id>.md`
 * files, which replace a built-in role's prompt or define a role bosun does not ship.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { UsageError, isNodeError } from "../../errors.js";
import { SAFE_ID_RULE, isSafeId, type BosunPaths } from "../../store/paths.js";
import { ROLE_DOCS_DIR, readProjectRoleDoc } from "../prompts.js";
import { BUILD_ROLES } from "./library-build.js";
import { OPERATIONS_ROLES } from "./library-operations.js";
import { QUALITY_ROLES } from "./library-quality.js";
import { createRolePrompt, type RoleDefinition } from "./role-definition.js";

/** Every built-in role, in the order `bosun roles` lists them. */
export const BUILTIN_ROLES: readonly RoleDefinition[] = [
  ...BUILD_ROLES,
  ...QUALITY_ROLES,
  ...OPERATIONS_ROLES,
];

/** A project-only role's summary is its first line of prose, cut to this length. */
const MAX_SUMMARY_CHARS = 120;

/** A role as a team uses it, after the project's files are applied. */
export interface TeamRole {
  /** Safe id: the key under `team:` in bosun.yaml and the name of `docs/roles/<id>.md`. */
  id: string;
  /** Display title (a project-only role's first Markdown heading, else its id). */
  title: string;
  /** One line on what the role is for ("" when a project file gives none). */
  summary: string;
  /** Suggested harness; null for a project-only role (set one under `team.<id>.harness`). */
  harness: string | null;
  /** The system prompt: the project file's text when there is one, else the built-in prompt. */
  prompt: string;
  /** True when bosun ships this role. */
  isBuiltIn: boolean;
  /** The project file the prompt comes from (repository-relative), or null for the built-in prompt. */
  promptFile: string | null;
}

/** The built-in role with this id, if bosun ships one. */
export function getBuiltinRole(id: string): RoleDefinition | undefined {
  return BUILTIN_ROLES.find((role) => role.id === id);
}

/**
 * Reads one role: the built-in one with `docs/roles/<id>.md` applied, or a project-only role
 * defined by that file. Null when neither exists; a UsageError for an id that is not a safe name.
 */
export async function readRole(paths: BosunPaths, id: string): Promise<TeamRole | null> {
  if (!isSafeId(id))
    throw new UsageError(`Invalid role id ${JSON.stringify(id)}: ${SAFE_ID_RULE}.`);
  const text = await readProjectRoleDoc(paths.root, id);
  return createTeamRole(id, getBuiltinRole(id), text);
}

/** Reads every role: the built-ins in library order (with overrides), then project-only roles by id. */
export async function listRoles(paths: BosunPaths): Promise<TeamRole[]> {
  const projectIds = await listProjectRoleIds(paths.root);
  const builtinIds = BUILTIN_ROLES.map((role) => role.id);
  const extraIds = projectIds.filter((id) => !builtinIds.includes(id)).sort();
  const roles: TeamRole[] = [];
  for (const id of [...builtinIds, ...extraIds]) {
    const text = projectIds.includes(id) ? await readProjectRoleDoc(paths.root, id) : null;
    const role = createTeamRole(id, getBuiltinRole(id), text);
    if (role !== null) roles.push(role);
  }
  return roles;
}

function createTeamRole(
  id: string,
  builtin: RoleDefinition | undefined,
  fileText: string | null,
): TeamRole | null {
  // A blank file says nothing: it neither replaces a built-in prompt nor defines a role.
  const projectText = fileText === null || fileText.trim() === "" ? null : fileText;
  const promptFile = projectText === null ? null : `${ROLE_DOCS_DIR}/${id}.md`;
  if (builtin !== undefined) {
    return {
      id,
      title: builtin.title,
      summary: builtin.summary,
      harness: builtin.harness,
      prompt: projectText?.trim() ?? createRolePrompt(builtin),
      isBuiltIn: true,
      promptFile,
    };
  }
  if (projectText === null) return null;
  const heading = /^#\s+(.+?)\s*#*\s*$/m.exec(projectText)?.[1];
  // The first line of prose, skipping headings and blank lines, is the summary.
  const firstLine = projectText.split("\n").find((line) => line.trim() !== "" && !/^#/.test(line));
  return {
    id,
    title: heading ?? id,
    summary: (firstLine?.trim() ?? "").slice(0, MAX_SUMMARY_CHARS),
    harness: null,
    prompt: projectText.trim(),
    isBuiltIn: false,
    promptFile,
  };
}

/** Ids of the `docs/roles/*.md` files whose name is a safe id (a README is documentation, not a role). */
async function listProjectRoleIds(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(root, ROLE_DOCS_DIR));
  } catch (error) {
    if (isNodeError(error) && (error.code === "ENOENT" || error.code === "ENOTDIR")) return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith(".md"))
    .map((name) => name.slice(0, -".md".length))
    .filter((id) => isSafeId(id) && id.toLowerCase() !== "readme");
}
