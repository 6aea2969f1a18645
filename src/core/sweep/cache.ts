// The default sweep cache and the generic memo used for per-layer factorizations.
import type { SweepCache, SweepMeasurement } from './types.ts';

export class MemorySweepCache implements SweepCache {
  readonly entries = new Map<string, SweepMeasurement>();

  async get(key: string): Promise<SweepMeasurement | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: SweepMeasurement): Promise<void> {
    this.entries.set(key, { ...value });
  }
}

/**
 * A bounded in-memory memo of promises, so two concurrent requests for the same key share one
 * computation. Oldest entries are dropped first once `capacity` is reached.
 */
export class PromiseMemo<T> {
  private readonly entries = new Map<string, Promise<T>>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) {
      this.hits++;
      return existing;
    }
    this.misses++;
    const created = compute();
    // A failed computation must not poison the memo: the next call retries.
    created.catch(() => this.entries.delete(key));
    this.entries.set(key, created);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return created;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
