/**
 * BosunEvent: the one event union flows emit. Surfaces (the plain/--json printer, later the TUI
 * and dashboard) subscribe to it; persisted run events are part of it, plus live-only ones.
 */
import type { AgentEvent } from "../agents/agent-event.js";
import type { Role, RunEvent } from "../store/schema/events.js";

/** Every event a flow emits. */
export type BosunEvent =
  /** A persisted transition (also in events.jsonl). */
  | (RunEvent & { runId: string })
  /** Live output of an agent. */
  | { type: "agent.output"; runId: string; round: number; role: Role; event: AgentEvent }
  /** A dispatch will be retried. */
  | {
      type: "agent.retry";
      runId: string;
      round: number;
      role: Role;
      attempt: number;
      delayMs: number;
      message: string;
    }
  /** A manual role: bosun waits for a person or tool to write a file. */
  | {
      type: "manual.waiting";
      runId: string;
      round: number;
      role: Role;
      promptFile: string;
      reportFile: string;
    }
  /** Something worth telling the user that does not stop the run. */
  | { type: "warning"; runId: string; message: string };

/** A subscriber. */
export type BosunEventListener = (event: BosunEvent) => void;
