/**
 * The world's fingerprint for one beat: the playbook, the goals, each sensor's `signal` (not its
 * detail, its timing or its failure message) and the open asks. An unchanged fingerprint means
 * nothing the brain would judge has changed, so the beat makes no model call.
 */
import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type { SensorReading } from "../../store/schema/pulse.js";

/** What the world is made of, as one beat read it. */
export interface World {
  /** PLAYBOOK.md's text ("" when there is none). */
  playbook: string;
  /** Active goals: id and text. */
  goals: ReadonlyArray<{ id: string; text: string }>;
  /** This beat's sensor readings. */
  readings: readonly SensorReading[];
  /** Ids of asks still waiting for a human. */
  openAskIds: readonly string[];
  /** Status of each run the pulse started (one finishing is a change). */
  runs?: Readonly<Record<string, string>>;
  /** Health of each worker (one going idle, stuck or dead is a change). */
  workers?: Readonly<Record<string, string>>;
}

/** A hex SHA-256 of the world in canonical form: key order and list order do not count. */
export function computeWorldHash(world: World): string {
  const canonical = stableStringify({
    playbook: world.playbook,
    goals: Object.fromEntries(world.goals.map((goal) => [goal.id, goal.text])),
    // A failing sensor counts as failing, whatever it said this time (its message may vary).
    signals: Object.fromEntries(
      world.readings.map((reading) => [
        reading.name,
        reading.status === "ok" ? { signal: reading.signal } : { isFailing: true },
      ]),
    ),
    openAskIds: [...world.openAskIds].sort(),
    runs: world.runs ?? {},
    workers: world.workers ?? {},
  });
  return createHash("sha256").update(canonical).digest("hex");
}
