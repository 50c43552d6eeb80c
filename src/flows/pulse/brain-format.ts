/**
 * The brain's reply format as its prompt states it. The list of moves and their fields is read
 * off `PulseActionSchema`, so a move added to the schema shows up in the prompt by itself; only
 * the one-line note on what each move is for is written by hand, and the type below makes a move
 * without a note a compile error.
 */
import { z } from "zod";
import { SAFE_ID_RULE } from "../../store/paths.js";
import { SafeIdSchema } from "../../store/schema/ids.js";
import {
  IRREVERSIBLE_ACTIONS,
  PulseActionSchema,
  type PulseAction,
} from "../../store/schema/pulse-decision.js";

/** What each move is for, in one line (its fields come from the schema). */
const ACTION_NOTES: Readonly<Record<PulseAction["type"], string>> = {
  noop: "nothing needs doing now; say why",
  write_goal: "create or replace the goal `id` (its desired state, in Markdown)",
  archive_goal: "the goal is met or dropped: archive it",
  write_sensor:
    'create or replace a sensor: an executable (shebang first) printing one JSON object {"signal", "detail"}',
  write_playbook:
    "replace PLAYBOOK.md (priorities, guardrails); it can never weaken the constitution",
  write_schedule: "a timer that reminds you of `note`: once in `inSec` seconds or every `everySec`",
  drop_schedule: "remove a timer",
  run_command:
    "run one shell command in the repository root; outside the allow-list a human approves it first",
  start_run:
    "start a bosun run (review: one change; team: a planned set of tasks; pipeline: staged)",
  start_worker:
    "start a long-running agent session on `prompt`; `verify` is a command whose exit 0 proves it done",
  tell_worker: "send a running worker a message",
  kill_worker: "stop a worker",
  ask: "ask a human a question, with `options` to pick from when there are clear choices",
  merge: "only ever proposed: merge `branch` into `into` once a human approves",
  deploy: "only ever proposed: run the deploy `command` to `target` once approved",
  delete: "only ever proposed: delete `path` once a human approves",
};

/** The `type` of every move the schema knows, in the schema's order. */
export function getActionTypes(): Array<PulseAction["type"]> {
  return PulseActionSchema.options.map((option) => option.shape.type.value);
}

/** The fields of one move as `{name: type, name?: type}`, read off its schema. */
export function describeActionFields(type: PulseAction["type"]): string {
  const option = PulseActionSchema.options.find((o) => o.shape.type.value === type);
  if (option === undefined) return "{}";
  const shape: Readonly<Record<string, z.ZodType>> = option.shape;
  const fields = Object.entries(shape)
    .filter(([name]) => name !== "type")
    .map(([name, schema]) => describeField(name, schema));
  return `{${fields.join(", ")}}`;
}

function describeField(name: string, schema: z.ZodType): string {
  if (schema instanceof z.ZodOptional) return `${name}?: ${describeType(schema.unwrap())}`;
  return `${name}: ${describeType(schema)}`;
}

/** A compact TypeScript-like type; the schema's own checks (ids, ranges) catch the rest. */
function describeType(schema: z.core.$ZodType): string {
  if (schema === SafeIdSchema) return "id";
  if (schema instanceof z.ZodOptional) return describeType(schema.unwrap());
  if (schema instanceof z.ZodString) return "string";
  if (schema instanceof z.ZodNumber) return "number";
  if (schema instanceof z.ZodBoolean) return "boolean";
  if (schema instanceof z.ZodLiteral) return JSON.stringify(schema.value);
  if (schema instanceof z.ZodEnum) return schema.options.map((v) => JSON.stringify(v)).join(" | ");
  if (schema instanceof z.ZodArray) return `[${describeType(schema.element)}, …]`;
  if (schema instanceof z.ZodObject) {
    const shape: Readonly<Record<string, z.ZodType>> = schema.shape;
    return `{${Object.entries(shape)
      .map(([key, value]) => describeField(key, value))
      .join(", ")}}`;
  }
  return "any JSON";
}

/** The reply format section: one JSON object, its fields, and every move with its fields. */
export function renderReplyFormat(maxActions: number): string {
  const moves = getActionTypes().map((type) => {
    const mark = IRREVERSIBLE_ACTIONS.has(type) ? " IRREVERSIBLE" : "";
    return `- \`${type}\`${mark} ${describeActionFields(type)}: ${ACTION_NOTES[type]}.`;
  });
  const plural = maxActions === 1 ? "exactly 1 move" : `1 to ${maxActions} moves`;
  return [
    "# Your reply",
    "",
    "Reply with one JSON object and nothing else, for example:",
    "",
    '{"critique": "CI on main is green and no goal is open.", "actions": [{"type": "noop", "reason": "nothing to do"}], "next_interval_s": 1800}',
    "",
    "- `critique` (string, required): what you make of the world, in a few sentences, and why this move.",
    `- \`actions\` (array of ${plural}, required): the moves, in the order they should happen.`,
    "- `next_interval_s` (number above 0, optional): decide again after this many seconds even if nothing changes.",
    "",
    `Each move is an object with a \`type\` and the fields listed; a field with \`?\` is optional. ${SAFE_ID_RULE.charAt(0).toUpperCase()}${SAFE_ID_RULE.slice(1)}.`,
    "",
    ...moves,
  ].join("\n");
}
