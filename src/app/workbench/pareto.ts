// The Pareto front of a trade-off chart: the points no other point beats on both axes (smaller
// cost on x, higher accuracy on y). Everything off the front is a worse choice than some point on it.

/** The front in increasing x; points with a non-finite coordinate are left out. */
export function paretoFront<T>(items: readonly T[], x: (t: T) => number, y: (t: T) => number): T[] {
  const sorted = items
    .filter((t) => Number.isFinite(x(t)) && Number.isFinite(y(t)))
    .sort((a, b) => x(a) - x(b) || y(b) - y(a));
  const front: T[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const t of sorted) {
    if (y(t) > best) {
      front.push(t);
      best = y(t);
    }
  }
  return front;
}
