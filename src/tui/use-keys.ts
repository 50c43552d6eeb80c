/**
 * Key handling that always sees the latest render. ink 6's `useInput` re-subscribes its handler
 * in a passive effect after each render, so keys that arrive between a render and that effect
 * (typing fast, a paste, a test's keys) would reach the previous render's handler and act on
 * stale state. One stable subscription calls the handler of the last committed render instead.
 */
import { useInput, type Key } from "ink";
import { useCallback, useLayoutEffect, useRef } from "react";

/** A key handler: what ink's `useInput` calls. */
export type KeyHandler = (input: string, key: Key) => void;

/** Calls `handler` of the latest committed render for every key. */
export function useKeys(handler: KeyHandler): void {
  const latest = useRef(handler);
  // A layout effect runs in the commit itself: by the time the frame is on screen, it is current.
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useInput(useCallback<KeyHandler>((input, key) => latest.current(input, key), []));
}
