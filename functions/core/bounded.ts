/**
 * Runs `work` on every item of a (possibly async) iterable with at most `limit` in flight, pulling items
 * only as slots free up so a long inventory is never held in memory twice. Rejects with the first error
 * `work` throws, after the work already in flight has settled.
 */
export async function forEachBounded<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  for await (const item of items) {
    if (failure !== null) break;
    const task = work(item).then(
      () => {
        running.delete(task);
      },
      (error: unknown) => {
        running.delete(task);
        failure ??= { error };
      },
    );
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure !== null) throw (failure as { error: unknown }).error;
}

/**
 * A limiter: `limit(work)` runs `work` when fewer than `size` are running, in call order. Unlike
 * forEachBounded it never holds back the caller, so a producer can run ahead of slow consumers.
 */
export function createLimiter(size: number): <T>(work: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`size must be a positive integer, got ${size}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      release();
    }
  };
}
