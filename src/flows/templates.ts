/**
 * Built-in prompt templates. `bosun init` copies them to .bosun/templates/ where a user may edit
 * them; project role docs (AGENTS.md, docs/roles/<role>.md) are inserted when present.
 */

/** Placeholders: task_id, round, max_rounds, cwd, agents_md, role_doc, task_card, fix_list, report_file. */
export const WORKER_TEMPLATE = `You are the WORKER for task {{task_id}}, round {{round}} of at most {{max_rounds}}.
You work in the git repository at {{cwd}}.

{{agents_md}}
{{role_doc}}
## Task card
\`\`\`json
{{task_card}}
\`\`\`
{{fix_list}}
## How to finish
1. Make the change the task card asks for. Stay in scope; keep the repository's tests passing.
2. You may commit or leave your changes uncommitted: bosun measures and checkpoints them with git.
3. Last, write your work report as JSON to this exact path (create the directory if needed):
   {{report_file}}
   {"task_id": "{{task_id}}", "round": {{round}}, "files_changed": ["..."], "notes": "what you did", "tests": [{"name": "...", "result": "pass|fail"}]}
Do not edit anything else under .bosun/.
`;

/** Placeholders: task_id, round, cwd, role_doc, task_card, work_report, files_changed, diff, verify, report_file. */
export const REVIEWER_TEMPLATE = `You are the REVIEWER for task {{task_id}}, round {{round}}.
The repository is at {{cwd}}. Review only; do not change any file in it.

{{role_doc}}
## Task card
\`\`\`json
{{task_card}}
\`\`\`

## The worker's report (the worker's claim, not the truth)
\`\`\`json
{{work_report}}
\`\`\`

## What changed, measured by git: {{files_changed}}
\`\`\`diff
{{diff}}
\`\`\`

## Verify command
{{verify}}

## How to finish
Approve only if every acceptance criterion is met by the diff above. Write your review as JSON to this exact path:
{{report_file}}
{"task_id": "{{task_id}}", "round": {{round}}, "decision": "approve" or "changes_required", "blocking_issues": [{"severity": "high|medium|low", "file": "path", "reason": "what must change"}], "non_blocking_suggestions": ["..."]}
`;

/** Built-in templates by role. */
export const BUILTIN_TEMPLATES = { worker: WORKER_TEMPLATE, reviewer: REVIEWER_TEMPLATE } as const;

/** The name of a built-in template (and of the file in .bosun/templates/ that replaces it). */
export type TemplateName = keyof typeof BUILTIN_TEMPLATES;

/** Fills `{{name}}` placeholders; unknown placeholders are left as they are. */
export function fillPromptTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
): string {
  return template.replace(/\{\{([a-z_]+)\}\}/g, (match, key: string) => values[key] ?? match);
}
