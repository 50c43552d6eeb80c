/**
 * The shape of a built-in specialist role and how its system prompt is written from it: a
 * mission, what the specialist checks, what they never do, and how they verify their own work.
 */

/** A built-in specialist, as written in the role library. */
export interface RoleDefinition {
  /** Safe id, also the name of its override file `docs/roles/<id>.md`. */
  id: string;
  /** Display title, e.g. `Backend engineer`. */
  title: string;
  /** One line: what this specialist is for. */
  summary: string;
  /** Suggested harness (a built-in agent CLI) whose strengths fit the discipline. */
  harness: string;
  /** What the specialist is responsible for, in a few sentences. */
  mission: string;
  /** What they look at and insist on. */
  checks: readonly string[];
  /** What they refuse to do. */
  never: readonly string[];
  /** How they prove their own work before reporting it done. */
  verify: readonly string[];
}

/** The system prompt of a built-in role, rendered from its definition. */
export function createRolePrompt(role: RoleDefinition): string {
  const list = (items: readonly string[]): string => items.map((item) => `- ${item}`).join("\n");
  return [
    `You are the team's ${role.title}. ${role.mission}`,
    `What you check:\n${list(role.checks)}`,
    `What you never do:\n${list(role.never)}`,
    `How you verify your own work:\n${list(role.verify)}`,
  ].join("\n\n");
}
