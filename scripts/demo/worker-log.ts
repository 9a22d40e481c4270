/** What the redeploy worker did with each message, read from the log lines it wrote (as an operator would). */
import { LOG_MESSAGES, SERVICE_LOG_KEY } from '../../functions/contract.ts';
import type { LogLine } from './function-logs.ts';

export type WorkerDid = 'redeployed' | 'already-done' | 'retry' | 'failed';

export interface WorkerOutcome {
  readonly serviceName: string;
  readonly serviceArn: string;
  readonly clusterName: string;
  readonly did: WorkerDid;
  /** The changes one deployment carried (more than one when they coalesced), or the message's change. */
  readonly changeKeys: readonly string[];
  readonly deploymentId: string | null;
  /** Why a retried or failed message failed: `ErrorName: message`. */
  readonly reason: string | null;
  /** The error's name, when the worker failed for a reason: `ServiceBusyError`, `ThrottlingException`, ... */
  readonly errorName: string | null;
}

const DID_BY_MESSAGE: Readonly<Record<string, WorkerDid>> = {
  [LOG_MESSAGES.serviceRedeployed]: 'redeployed',
  [LOG_MESSAGES.redeployAlreadyDone]: 'already-done',
  [LOG_MESSAGES.serviceRedeployRetrying]: 'retry',
  [LOG_MESSAGES.serviceRedeployFailed]: 'failed',
};

interface LoggedService {
  readonly serviceName?: string;
  readonly serviceArn?: string;
  readonly clusterArn?: string;
  readonly reason?: string;
}

export function workerOutcomes(lines: readonly LogLine[]): WorkerOutcome[] {
  return lines.flatMap((line) => {
    const did = DID_BY_MESSAGE[String(line.message)];
    if (did === undefined) return [];
    const service = (line[SERVICE_LOG_KEY] ?? {}) as LoggedService;
    const changeKeys = Array.isArray(line.changeKeys)
      ? (line.changeKeys as string[])
      : typeof line.changeKey === 'string'
        ? [line.changeKey]
        : [];
    const reason = typeof line.reason === 'string' ? line.reason : (service.reason ?? null);
    const clusterArn = service.clusterArn ?? '';
    return [
      {
        serviceName: service.serviceName ?? '?',
        serviceArn: service.serviceArn ?? '?',
        clusterName: clusterArn.slice(clusterArn.lastIndexOf('/') + 1),
        did,
        changeKeys,
        deploymentId: typeof line.deploymentId === 'string' ? line.deploymentId : null,
        reason,
        errorName: reason === null ? null : (/^(\w+):/.exec(reason)?.[1] ?? null),
      },
    ];
  });
}
