/**
 * The terminal's size, kept current as it is resized. Hand-written because ink 6, the last ink
 * that runs on Node 20 (bosun's floor), has no window-size hook; it is ink's own stdout, so the
 * testing library's fake terminal works too.
 */
import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** A terminal's size in character cells. */
export interface WindowSize {
  /** Width. */
  columns: number;
  /** Height. */
  rows: number;
}

/** What a stream that is not a terminal (a pipe, a test's fake) is taken to be. */
const FALLBACK_SIZE: WindowSize = { columns: 80, rows: 24 };

/** The size of ink's stdout, re-rendering on every resize. */
export function useWindowSize(): WindowSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => readWindowSize(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(readWindowSize(stdout));
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

function readWindowSize(stdout: NodeJS.WriteStream): WindowSize {
  return {
    columns: stdout.columns > 0 ? stdout.columns : FALLBACK_SIZE.columns,
    rows: stdout.rows > 0 ? stdout.rows : FALLBACK_SIZE.rows,
  };
}
