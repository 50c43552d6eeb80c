/**
 * The command that continues a run, by its flow: what every message that says "continue with …"
 * prints. Apart from the registry so read commands (`bosun status`) need not load the flows.
 */
import type { Run } from "../store/schema/run.js";

/** The command that continues a run of `flow`. */
export function getResumeCommand(flow: Run["flow"], runId: string): string {
  const command = { review: "review", team: "run", pipeline: "pipeline" }[flow];
  return `bosun ${command} --resume ${runId}`;
}
