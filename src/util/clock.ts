/**
 * Monotonic seconds, comparable across meters and devices in one process: marks, power samples
 * and counter reads are all on this clock.
 */
export function nowS(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
