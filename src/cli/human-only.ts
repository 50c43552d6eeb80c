/**
 * Verbs that are a human's to run: approving or rejecting the pulse's held moves and answering
 * asks. A pulse worker (every command it runs carries $BOSUN_WORKER_ID) is refused them, so a
 * worker the loop started without approval cannot approve the loop's irreversible moves.
 */
import { UsageError } from "../errors.js";
import { WORKER_ID_VAR } from "../flows/pulse/worker-host.js";

/** Throws when this command runs inside a pulse worker. `what` names the verb. */
export function assertNotPulseWorker(what: string): void {
  const workerId = process.env[WORKER_ID_VAR];
  if (workerId === undefined || workerId === "") return;
  throw new UsageError(
    `Refused ${what}: it is a human's to do, and this command runs inside pulse worker "${workerId}" ($${WORKER_ID_VAR}). Ask with "bosun _ ask" and wait for the human's answer instead.`,
  );
}
