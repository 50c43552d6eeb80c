/**
 * Verbs that are a human's to run: approving or rejecting the pulse's held moves and answering
 * asks. A process the pulse started — its brain, a sensor, a move's command, a worker — carries
 * one of PULSE_PROCESS_VARS and is refused them, so nothing the loop runs can approve the loop's
 * own irreversible moves (a tripwire like the deny-list: a process can unset its env).
 */
import { UsageError } from "../errors.js";
import { PULSE_PROCESS_VARS } from "../flows/pulse/pulse-env.js";

/** Throws when this command runs inside a process the pulse started. `what` names the verb. */
export function assertNotPulseWorker(what: string): void {
  for (const [role, name] of Object.entries(PULSE_PROCESS_VARS)) {
    const value = process.env[name];
    if (value === undefined || value === "") continue;
    const who = role === "worker" ? `pulse worker "${value}"` : `the pulse's ${role} (${value})`;
    throw new UsageError(
      `Refused ${what}: it is a human's to do, and this command runs inside ${who} ($${name}). Ask with "bosun _ ask" and wait for the human's answer instead.`,
    );
  }
}
