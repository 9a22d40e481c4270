import { describe, expect, it } from 'vitest';
import { createLimiter, forEachBounded } from '../../functions/core/bounded.ts';

/** A promise with its resolve/reject in hand, so a test decides when work ends. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('forEachBounded', () => {
  it('never has more than the limit in flight, and runs every item', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      done.push(item);
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('pulls items from an async iterable only as slots free up', async () => {
    const pulled: number[] = [];
    const gates = [deferred(), deferred(), deferred()];
    async function* items() {
      for (let i = 0; i < 3; i++) {
        pulled.push(i);
        yield i;
      }
    }
    const run = forEachBounded(items(), 1, (item) => gates[item]?.promise ?? Promise.resolve());
    await tick();
    expect(pulled).toEqual([0]);
    gates[0]?.resolve();
    await tick();
    await tick();
    expect(pulled).toEqual([0, 1]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await run;
    expect(pulled).toEqual([0, 1, 2]);
  });

  it('rejects with the first error after the work in flight has settled, and starts nothing more', async () => {
    const started: number[] = [];
    const slow = deferred();
    let slowSettled = false;
    const run = forEachBounded([1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 1) {
        await slow.promise;
        slowSettled = true;
        return;
      }
      throw new Error(`item ${item} failed`);
    });
    await tick();
    slow.resolve();
    await expect(run).rejects.toThrow('item 2 failed');
    expect(slowSettled).toBe(true);
    expect(started).toEqual([1, 2]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', async (limit) => {
    await expect(forEachBounded([1], limit, async () => {})).rejects.toThrow(RangeError);
  });
});

describe('createLimiter', () => {
  it('runs at most `size` at once, in call order', async () => {
    const limit = createLimiter(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, index) =>
      limit(async () => {
        started.push(index);
        await gate.promise;
        return index * 10;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    await tick();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 10, 20, 30]);
  });

  it('frees the slot of work that fails, and passes the failure to its caller', async () => {
    const limit = createLimiter(1);
    const failing = limit(async () => {
      throw new Error('boom');
    });
    const next = limit(async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it.each([0, 2.5])('refuses a size of %s', (size) => {
    expect(() => createLimiter(size)).toThrow(RangeError);
  });
});
