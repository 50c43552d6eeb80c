/**
 * The outputs of the contract's verbs over the pulse's plain files (goals, sensors, the
 * playbook, schedules, claims), spread into CONTRACT_OUTPUTS under their dotted names
 * (`bosun _ schema goal.write`). Schedules and claims are their files as they are on disk.
 */
import { z } from "zod";
import { PulseClaimSchema } from "../../store/schema/pulse-claim.js";
import { PulseScheduleSchema } from "../../store/schema/pulse-schedule.js";

const envelope = {
  /** The contract version (CONTRACT_VERSION in schemas.ts). */
  contract: z.literal(1),
};

/** A goal: `goals/<id>.md`. */
const GoalSchema = z.object({
  /** The goal's id (its file name without `.md`). */
  id: z.string(),
  /** The desired state, as written. */
  text: z.string(),
});

/** Each pulse file verb's output. */
export const PULSE_FILE_OUTPUTS = {
  /** `bosun _ goal write ID TEXT|-`: the goal written (or replaced). */
  "goal.write": z.object({
    ...envelope,
    /** The goal as written. */
    goal: GoalSchema,
    /** Its file. */
    file: z.string(),
  }),
  /** `bosun _ goal archive ID`: the goal moved under `goals/archive/`. */
  "goal.archive": z.object({
    ...envelope,
    /** The goal's id. */
    id: z.string(),
    /** Where it is kept now (`goals/archive/<id>-<stamp>.md`). */
    archivedFile: z.string(),
  }),
  /** `bosun _ goal list`: the active goals, sorted by id. */
  "goal.list": z.object({ ...envelope, goals: z.array(GoalSchema) }),
  /** `bosun _ sensor write NAME TEXT|- [--interval S]`: the executable written. */
  "sensor.write": z.object({
    ...envelope,
    /** The sensor's name (its file name under `sensors/`). */
    name: z.string(),
    /** Its file (mode 0755). */
    file: z.string(),
    /** Its `# bosun:interval=<s>` header, null when it has none from --interval. */
    intervalSec: z.number().positive().nullable(),
  }),
  /** `bosun _ playbook write TEXT|-`: PLAYBOOK.md replaced, the previous version kept. */
  "playbook.write": z.object({
    ...envelope,
    /** PLAYBOOK.md. */
    file: z.string(),
    /** False when the text was the playbook's already (nothing written). */
    isChanged: z.boolean(),
    /** Where the replaced version was kept (`playbook-history/<stamp>.md`), null when none was. */
    previousVersionFile: z.string().nullable(),
  }),
  /** `bosun _ schedule write ID --in S|--every S --note TEXT`: the schedule written (or replaced). */
  "schedule.write": z.object({ ...envelope, schedule: PulseScheduleSchema }),
  /** `bosun _ schedule rm ID`: the schedule removed, as it was. */
  "schedule.rm": z.object({ ...envelope, schedule: PulseScheduleSchema }),
  /** `bosun _ schedule list`: every schedule, sorted by id. */
  "schedule.list": z.object({
    ...envelope,
    schedules: z.array(PulseScheduleSchema),
    /** When the next one fires (ms since the epoch), null when there is none. */
    nextAtMs: z.number().int().nullable(),
  }),
  /** `bosun _ claim RESOURCE --holder H [--ttl S] [--pid P]`: the claim taken or renewed (held by another: exit 1, code "state"). */
  claim: z.object({
    ...envelope,
    /** The claim as written (`claims/<resource>.json`). */
    claim: PulseClaimSchema,
    /** True when the holder held it already and its lease was renewed. */
    isRenewed: z.boolean(),
    /** The holder of a lapsed claim this one replaced, null when the resource was free. */
    tookOverFrom: z.string().nullable(),
  }),
  /** `bosun _ unclaim RESOURCE --holder H`: the claim released (not the holder's: exit 1, code "state"). */
  unclaim: z.object({
    ...envelope,
    /** The resource. */
    resource: z.string(),
    /** False when nobody held it. */
    isReleased: z.boolean(),
  }),
} as const;
