/** The rollout ledger in memory, with the DynamoDB adapter's rules: an ended entry is never overwritten, settled once. */
import type { RolloutLedger, TrackedDeployment } from '../../functions/core/ports.ts';
import type { ReportedChange } from '../../functions/core/report.ts';
import type { ServiceRef } from '../../functions/core/service.ts';
import { isEnded, type Ledger, type LedgerEntry } from '../../functions/core/settled-report.ts';

interface StoredLedger {
  change: ReportedChange | null;
  changeSeenAt: number | null;
  deadline: number | null;
  entries: Map<string, LedgerEntry>;
  settledAt: number | null;
}

export class InMemoryLedger implements RolloutLedger {
  readonly deployments = new Map<string, TrackedDeployment>();
  readonly ledgers = new Map<string, StoredLedger>();
  lookups = 0;

  async expect(
    changeKey: string,
    change: ReportedChange,
    services: readonly ServiceRef[],
    changeSeenAt: number,
    deadline: number,
  ): Promise<void> {
    const stored = this.#stored(changeKey);
    stored.change = change;
    stored.changeSeenAt ??= changeSeenAt;
    stored.deadline ??= deadline;
    for (const service of services) {
      if (!stored.entries.has(service.serviceArn))
        stored.entries.set(service.serviceArn, {
          service,
          deploymentId: null,
          state: 'pending',
          reason: null,
          endedAt: null,
        });
    }
  }

  async recordStart(deployment: TrackedDeployment): Promise<void> {
    this.deployments.set(deployment.started.deploymentId, deployment);
    for (const key of deployment.changeKeys) {
      const stored = this.#stored(key);
      stored.deadline ??= deployment.deadline;
      this.#set(stored, {
        service: deployment.started.service,
        deploymentId: deployment.started.deploymentId,
        state: 'in-progress',
        reason: null,
        endedAt: null,
      });
    }
  }

  async tracked(deploymentId: string): Promise<TrackedDeployment | null> {
    this.lookups += 1;
    return this.deployments.get(deploymentId) ?? null;
  }

  async recordEnd(changeKey: string, entry: LedgerEntry): Promise<Ledger | null> {
    const stored = this.ledgers.get(changeKey);
    if (stored === undefined) return null;
    this.#set(stored, entry);
    return this.ledger(changeKey);
  }

  async ledger(changeKey: string): Promise<Ledger | null> {
    const stored = this.ledgers.get(changeKey);
    if (stored === undefined) return null;
    const { change, changeSeenAt, deadline } = stored;
    const entries = [...stored.entries.values()];
    return { changeKey, change, changeSeenAt, deadline, entries, settled: stored.settledAt !== null };
  }

  async markSettled(changeKey: string, settledAt: number): Promise<boolean> {
    const stored = this.ledgers.get(changeKey);
    if (stored === undefined || stored.settledAt !== null) return false;
    stored.settledAt = settledAt;
    return true;
  }

  #stored(changeKey: string): StoredLedger {
    let stored = this.ledgers.get(changeKey);
    if (stored === undefined) {
      stored = { change: null, changeSeenAt: null, deadline: null, entries: new Map(), settledAt: null };
      this.ledgers.set(changeKey, stored);
    }
    return stored;
  }

  #set(stored: StoredLedger, entry: LedgerEntry): void {
    const current = stored.entries.get(entry.service.serviceArn);
    if (current !== undefined && isEnded(current.state)) return;
    stored.entries.set(entry.service.serviceArn, entry);
  }
}
