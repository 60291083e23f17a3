/** Index of the last item at or before t in items sorted by timeS, or -1 (a binary search). */
export function lastAtOrBefore(items: readonly { timeS: number }[], t: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.timeS <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
