import { describe, expect, it } from "vitest";
import { createEventBus } from "./event-bus.js";
import type { BosunEvent } from "./events.js";

const RUN_ID = "20261122-120000-abcd";

/** A journaled event as a flow emits it. */
function makeEvent(seq: number): BosunEvent {
  return { type: "run.resumed", seq, ts: "2026-11-22T12:00:00.000Z", pid: 1, runId: RUN_ID };
}

function makeWarning(message: string): BosunEvent {
  return { type: "warning", runId: RUN_ID, message };
}

/** What a subscriber saw, one short label per event. */
function label(event: BosunEvent): string {
  return event.type === "run.resumed" ? `#${event.seq}` : event.type;
}

describe("createEventBus", () => {
  it("delivers every event to a printer and a second subscriber, in order", () => {
    const bus = createEventBus();
    // Stands in for cli/printer.ts (flows may not import a surface): one line per event.
    const printed: string[] = [];
    const printer = (event: BosunEvent): void => {
      printed.push(
        event.type === "warning" ? `! ${event.message}` : `${event.type} ${label(event)}`,
      );
    };
    // And for a dashboard's SSE stream, which sends journaled events with their seq as id.
    const sent: string[] = [];
    const sse = (event: BosunEvent): void => {
      if ("seq" in event) sent.push(`id: ${event.seq}`);
    };
    bus.subscribe(printer);
    bus.subscribe(sse);

    // A flow is given `bus.publish` as its one `onEvent` listener.
    const onEvent = bus.publish;
    onEvent(makeEvent(1));
    onEvent(makeWarning("slow disk"));
    onEvent(makeEvent(2));

    expect(printed).toEqual(["run.resumed #1", "! slow disk", "run.resumed #2"]);
    expect(sent).toEqual(["id: 1", "id: 2"]);
    expect(bus.listenerCount).toBe(2);
  });

  it("keeps delivering past a throwing subscriber and reports its first failure once", () => {
    const bus = createEventBus();
    const before: string[] = [];
    const after: string[] = [];
    bus.subscribe((event) => before.push(label(event)));
    bus.subscribe((event) => {
      if (event.type !== "warning") throw new Error(`cannot render ${label(event)}`);
    });
    bus.subscribe((event) => after.push(label(event)));

    expect(() => bus.publish(makeEvent(1))).not.toThrow();
    bus.publish(makeEvent(2));

    // The warning comes after the event it is about has reached everyone.
    expect(before).toEqual(["#1", "warning", "#2"]);
    expect(after).toEqual(["#1", "warning", "#2"]);
    const warnings: string[] = [];
    bus.subscribe((event) => {
      if (event.type === "warning") warnings.push(event.message);
    });
    bus.publish(makeEvent(3));
    expect(warnings).toEqual([]);
  });

  it("says which event a subscriber failed on, and why", () => {
    const bus = createEventBus();
    const warnings: string[] = [];
    bus.subscribe(() => {
      throw new Error("socket closed");
    });
    bus.subscribe((event) => {
      if (event.type === "warning") warnings.push(event.message);
    });

    bus.publish(makeEvent(1));

    expect(warnings).toEqual([
      'An event subscriber failed on "run.resumed": socket closed. It keeps receiving events; its further failures are not reported.',
    ]);
  });

  it("lets a subscriber unsubscribe itself, or a later one, during a delivery", () => {
    const bus = createEventBus();
    const seen: string[] = [];
    const unsubscribeOnce = bus.subscribe((event) => {
      seen.push(`once ${label(event)}`);
      unsubscribeOnce();
    });
    let unsubscribeLast = (): void => undefined;
    bus.subscribe((event) => {
      seen.push(`middle ${label(event)}`);
      if (event.type === "run.resumed" && event.seq === 2) unsubscribeLast();
    });
    unsubscribeLast = bus.subscribe((event) => seen.push(`last ${label(event)}`));

    bus.publish(makeEvent(1));
    bus.publish(makeEvent(2));
    bus.publish(makeEvent(3));

    expect(seen).toEqual(["once #1", "middle #1", "last #1", "middle #2", "middle #3"]);
    expect(bus.listenerCount).toBe(1);
  });

  it("gives a late subscriber only new events, one added during a delivery from the next event", () => {
    const bus = createEventBus();
    const late: string[] = [];
    const joinedDuring: string[] = [];
    bus.publish(makeEvent(1));
    bus.subscribe((event) => {
      late.push(label(event));
      if (late.length === 1) bus.subscribe((next) => joinedDuring.push(label(next)));
    });

    bus.publish(makeEvent(2));
    bus.publish(makeEvent(3));

    expect(late).toEqual(["#2", "#3"]);
    expect(joinedDuring).toEqual(["#3"]);
  });

  it("delivers an event published during a delivery after the current one, to everyone", () => {
    const bus = createEventBus();
    const first: string[] = [];
    const second: string[] = [];
    bus.subscribe((event) => {
      first.push(label(event));
      if (event.type === "run.resumed" && event.seq === 1) bus.publish(makeEvent(2));
    });
    bus.subscribe((event) => second.push(label(event)));

    bus.publish(makeEvent(1));

    expect(first).toEqual(["#1", "#2"]);
    expect(second).toEqual(["#1", "#2"]);
  });

  it("counts subscriptions: the same function twice is two, and unsubscribing twice is harmless", () => {
    const bus = createEventBus();
    const seen: string[] = [];
    const listener = (event: BosunEvent): void => {
      seen.push(label(event));
    };
    const unsubscribeFirst = bus.subscribe(listener);
    bus.subscribe(listener);
    expect(bus.listenerCount).toBe(2);

    unsubscribeFirst();
    unsubscribeFirst();
    bus.publish(makeEvent(1));

    expect(bus.listenerCount).toBe(1);
    expect(seen).toEqual(["#1"]);
  });
});
