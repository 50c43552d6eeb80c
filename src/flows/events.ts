/**
 * BosunEvent: the one event union flows emit. Surfaces (the plain/--json printer, later the TUI
 * and dashboard) subscribe to it; persisted run events are part of it, plus live-only ones.
 * Live agent events name their task, so interleaved output of parallel tasks stays attributable.
 */
import type { AgentEvent } from "../agents/agent-event.js";
import type { RunEvent, Seat } from "../store/schema/events.js";

/** Which agent a live event is about. */
interface AgentRef {
  /** Run id. */
  runId: string;
  /** Task id. */
  taskId: string;
  /** Round of that task. */
  round: number;
  /** Seat of the agent. */
  seat: Seat;
}

/** Every event a flow emits. */
export type BosunEvent =
  /** A persisted transition (also in events.jsonl). */
  | (RunEvent & { runId: string })
  /** Live output of an agent. */
  | ({ type: "agent.output"; event: AgentEvent } & AgentRef)
  /** A dispatch will be retried. */
  | ({ type: "agent.retry"; spawn: number; delayMs: number; message: string } & AgentRef)
  /** A manual seat: bosun waits for a person or tool to write a file. */
  | ({ type: "manual.waiting"; promptFile: string; reportFile: string } & AgentRef)
  /** Something worth telling the user that does not stop the run. */
  | { type: "warning"; runId: string; taskId?: string; message: string };

/** A subscriber. */
export type BosunEventListener = (event: BosunEvent) => void;
