/** Limits on numbers users give bosun (flags and config), shared by the CLI parsers and the schemas. */

/**
 * The longest delay a Node timer can hold, in whole seconds (2^31 - 1 ms). A longer one fires at
 * once (with a TimeoutOverflowWarning), so a "huge" timeout would kill an agent immediately.
 */
export const MAX_TIMER_SEC = 2_147_483;

/** Most rounds a review may be given: far beyond any budget, and safe to double many times. */
export const MAX_ROUNDS = 1000;

/** The most characters a tell (a human's message to a run's worker) may hold: a message, not a document. */
export const MAX_TELL_CHARS = 4000;
