/**
 * `bosun roles [ROLE]`: the team's role library (the built-in specialists, and the project's
 * `docs/roles/<id>.md` files), with who plays each role according to `team:` in bosun.yaml.
 */
import { UsageError } from "../../errors.js";
import { listRoles, readRole, type TeamRole } from "../../flows/team/roles.js";
import type { ResolvedConfig } from "../../store/config.js";
import type { TeamMember } from "../../store/schema/config.js";
import type { CliContext } from "../context.js";
import { color, formatTable, oneLine, printJson } from "../format.js";

/** One role as `bosun roles --json` prints it. */
export interface RoleEntry extends TeamRole {
  /** Its `team.<id>` entry from config, or null when the config names none. */
  team: TeamMember | null;
}

/** Lists the roles, or prints one role's prompt. Exit 0; an unknown role is a usage error. */
export async function runRoles(ctx: CliContext, id: string | undefined): Promise<number> {
  const paths = await ctx.getPaths();
  const resolved = await ctx.getConfig();
  const { team } = resolved.config;
  const withTeam = (role: TeamRole): RoleEntry => ({
    ...role,
    team: Object.hasOwn(team, role.id) ? (team[role.id] ?? null) : null,
  });
  if (id !== undefined) {
    const role = await readRole(paths, id);
    if (role === null)
      throw new UsageError(
        `Unknown role "${id}". Run "bosun roles" to list them, or write docs/roles/${id}.md to define it.`,
      );
    if (ctx.isJson) printJson(withTeam(role));
    else process.stdout.write(formatRole(withTeam(role)));
    return 0;
  }
  const roles = (await listRoles(paths)).map(withTeam);
  const warnings = listUnknownTeamRoles(resolved, roles);
  if (ctx.isJson) {
    printJson({ roles, warnings });
    return 0;
  }
  const rows = roles.map((role) => [
    role.id,
    formatHarness(role),
    role.promptFile ?? color.dim("built-in"),
    oneLine(role.summary === "" ? role.title : `${role.title}: ${role.summary}`, 90),
  ]);
  const projectCount = roles.filter((role) => !role.isBuiltIn).length;
  process.stdout.write(
    `${formatTable(rows)}\n\n${roles.length - projectCount} built-in roles, ${projectCount} defined in docs/roles/. ` +
      `"bosun roles <id>" prints a role's prompt; docs/roles/<id>.md replaces it; team.<id> in bosun.yaml sets harness, model, thinking and paths.\n`,
  );
  for (const warning of warnings) process.stderr.write(`${color.yellow("warning")} ${warning}\n`);
  return 0;
}

/** `codex gpt-5.5 high` from team config, else the suggested harness, dimmed. */
function formatHarness(role: RoleEntry): string {
  const member = role.team;
  if (member?.harness !== undefined) {
    return [member.harness, member.model, member.thinking].filter((v) => v !== undefined).join(" ");
  }
  const model = member?.model === undefined ? "" : ` ${member.model}`;
  // A project-only role has no suggestion: only team.<id>.harness can say who plays it.
  if (role.harness === null) return color.dim(`none set${model}`);
  return `${role.harness}${model} ${color.dim("(suggested)")}`;
}

function formatRole(role: RoleEntry): string {
  const member = role.team;
  const lines = [
    color.bold(`${role.title} (${role.id})`),
    role.summary,
    `harness: ${formatHarness(role)}`,
    ...(member?.paths === undefined ? [] : [`owns: ${member.paths.join(", ")}`]),
    `prompt: ${role.promptFile ?? "built-in (write docs/roles/" + role.id + ".md to replace it)"}`,
    "",
    role.prompt,
  ];
  return `${lines.join("\n")}\n`;
}

/** `team:` entries that name no role: probably a typo, since nothing would ever use them. */
function listUnknownTeamRoles(resolved: ResolvedConfig, roles: readonly TeamRole[]): string[] {
  const ids = new Set(roles.map((role) => role.id));
  return Object.keys(resolved.config.team)
    .filter((id) => !ids.has(id))
    .map((id) => {
      const file = Object.entries(resolved.sources).find(([key]) =>
        key.startsWith(`team.${id}.`),
      )?.[1];
      return `team.${id}${file === undefined ? "" : ` (in ${file})`} names no role: use a built-in id (bosun roles lists them) or write docs/roles/${id}.md.`;
    });
}
