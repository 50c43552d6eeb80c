/**
 * An in-process bus for BosunEvents: a flow publishes, any number of surfaces (the printer, a
 * TUI, a dashboard's SSE stream) subscribe and unsubscribe while it runs.
 */
import { getErrorMessage } from "../errors.js";
import type { BosunEvent, BosunEventListener } from "./events.js";

/** Fan-out of one flow's events to its subscribers. */
export interface EventBus {
  /**
   * Delivers `event` to every subscriber, in the order they subscribed, before returning. An
   * event published by a subscriber during a delivery is delivered right after the current
   * one has reached everyone, so all subscribers see the same order. Never throws because of a
   * subscriber. Does not use `this`: pass `bus.publish` as a flow's `onEvent` as it is.
   */
  publish: (event: BosunEvent) => void;
  /**
   * Subscribes `listener` to events published from now on (nothing is replayed: a late
   * subscriber reads the journal for the past). Returns its unsubscribe, which may be called
   * at any time, during a delivery too, and more than once.
   */
  subscribe: (listener: BosunEventListener) => () => void;
  /** How many subscriptions are active. */
  readonly listenerCount: number;
}

/** One subscribe() call: the same function subscribed twice is two subscriptions. */
interface Subscription {
  readonly listener: BosunEventListener;
  /** Its first failure was reported; later ones are not (a broken renderer throws every time). */
  hasFailed: boolean;
}

/**
 * Creates an empty bus. A subscriber that throws does not stop the others or the publishing
 * flow: its first failure is published as a `warning` event (the printer shows it; the flow
 * goes on) and it stays subscribed, since one bad event need not end a whole view.
 */
export function createEventBus(): EventBus {
  const subscriptions = new Set<Subscription>();
  const queue: BosunEvent[] = [];
  let isDelivering = false;

  const deliver = (event: BosunEvent): void => {
    // A copy: who subscribes during this delivery starts with the next event.
    for (const subscription of [...subscriptions]) {
      // Unsubscribed during this delivery, by itself or by an earlier subscriber.
      if (!subscriptions.has(subscription)) continue;
      try {
        subscription.listener(event);
      } catch (error) {
        if (subscription.hasFailed) continue;
        subscription.hasFailed = true;
        queue.push({
          type: "warning",
          runId: event.runId,
          message: `An event subscriber failed on "${event.type}": ${getErrorMessage(error)}. It keeps receiving events; its further failures are not reported.`,
        });
      }
    }
  };

  return {
    publish: (event) => {
      queue.push(event);
      // A publish from inside a delivery only queues: the outer loop delivers it next.
      if (isDelivering) return;
      isDelivering = true;
      try {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) deliver(next);
      } finally {
        isDelivering = false;
      }
    },
    subscribe: (listener) => {
      const subscription: Subscription = { listener, hasFailed: false };
      subscriptions.add(subscription);
      return () => {
        subscriptions.delete(subscription);
      };
    },
    get listenerCount() {
      return subscriptions.size;
    },
  };
}
