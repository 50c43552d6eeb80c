/**
 * Early conflict warnings between a team run's running tasks, kept for both sides: when one
 * task's change is found to conflict with another's, each worker hears of it in its next prompt.
 * In memory only: they are advice, taken again after every worker's round, and the merge queue
 * decides for real.
 */

/** The warnings each task's worker should hear, by the other task they are about. */
export interface OverlapNotes {
  /** Notes the conflict between `a` and `b` for both of them (the latest message wins). */
  note(a: string, b: string, message: string): void;
  /** The warnings for `taskId`, oldest first. */
  listFor(taskId: string): string[];
  /** Forgets what is known between `a` and `b`: they no longer conflict. */
  clear(a: string, b: string): void;
  /** Forgets `taskId` on every side: it left the running set. */
  forget(taskId: string): void;
}

export function createOverlapNotes(): OverlapNotes {
  const notes = new Map<string, Map<string, string>>();
  const side = (taskId: string): Map<string, string> => {
    let map = notes.get(taskId);
    if (map === undefined) {
      map = new Map();
      notes.set(taskId, map);
    }
    return map;
  };
  return {
    note: (a, b, message) => {
      side(a).set(b, message);
      side(b).set(a, message);
    },
    listFor: (taskId) => [...(notes.get(taskId)?.values() ?? [])],
    clear: (a, b) => {
      notes.get(a)?.delete(b);
      notes.get(b)?.delete(a);
    },
    forget: (taskId) => {
      for (const other of notes.get(taskId)?.keys() ?? []) notes.get(other)?.delete(taskId);
      notes.delete(taskId);
    },
  };
}
