/**
 * A token bucket that reserves: each `take` spends a token now, and when the bucket is empty waits for
 * the moment its token will have refilled. Waiters are served in call order, never faster than `perSecond`.
 */
export interface BucketLimit {
  /** Tokens available at once. */
  readonly burst: number;
  /** Tokens refilled each second. */
  readonly perSecond: number;
}

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly limit: BucketLimit,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RangeError(`a bucket needs burst >= 1 and perSecond > 0, got ${JSON.stringify(limit)}`);
    }
    this.#tokens = limit.burst;
    this.#updatedAt = now();
  }

  async take(): Promise<void> {
    const now = this.now();
    this.#tokens = Math.min(
      this.limit.burst,
      this.#tokens + ((now - this.#updatedAt) * this.limit.perSecond) / 1000,
    );
    this.#updatedAt = now;
    this.#tokens -= 1;
    if (this.#tokens < 0) await this.sleep((-this.#tokens * 1000) / this.limit.perSecond);
  }
}
