/**
 * One at a time: each call's work starts once the previous call's has settled, in call order. A
 * failed call does not stop the ones queued behind it; its caller gets the error.
 */
export function createSerializer(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const turn = tail.then(work);
    tail = turn.catch(() => undefined);
    return turn;
  };
}
