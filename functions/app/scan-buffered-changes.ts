/**
 * The change scanner's work: every change of a batch from the change buffer with one scan, one `redeploy
 * report` per change, and the messages that could not be handled named back to SQS one by one (a partial batch
 * failure), so only they are received again.
 */
import { LOG_MESSAGES } from '../contract.ts';
import { parseBufferedChange } from '../core/change-message.ts';
import type { Invocation, Telemetry } from '../core/ports.ts';
import { reportedChange } from '../core/report.ts';
import type { HandleChangePorts, RunOptions } from './handle-change.ts';
import { type ReadChange, redeployForChanges } from './handle-changes.ts';
import { publishReport } from './publish-report.ts';

/** An SQS record, as much of it as the scanner reads. */
export interface BufferRecord {
  readonly messageId: string;
  readonly body: string;
}

/** Lambda's answer for an SQS event source that reports batch item failures. */
export interface BatchAnswer {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export async function scanBufferedChanges(
  records: readonly BufferRecord[],
  ports: HandleChangePorts,
  options: RunOptions,
  telemetry: Telemetry,
  invocation: Invocation,
): Promise<BatchAnswer> {
  const failed: string[] = [];
  const changes: ReadChange[] = [];
  const ids: string[] = [];
  for (const { messageId, body } of records) {
    try {
      changes.push(parseBufferedChange(body));
      ids.push(messageId);
    } catch (error) {
      // Received again until the buffer's dead-letter queue takes it, where its alarm calls for a look.
      telemetry.error(LOG_MESSAGES.eventRefused, { error, messageId });
      failed.push(messageId);
    }
  }
  let results: Awaited<ReturnType<typeof redeployForChanges>> = [];
  try {
    results = await redeployForChanges(changes, ports, options, invocation);
  } catch (error) {
    // The scan itself failed (a dry run claims no key, so its failure lands here): every change is retried.
    telemetry.error(LOG_MESSAGES.runFailed, { error });
    return { batchItemFailures: [...failed, ...ids].map((itemIdentifier) => ({ itemIdentifier })) };
  }
  results.forEach((result, index) => {
    const messageId = ids[index] as string;
    if ('error' in result) {
      const change = changes[index];
      telemetry.error(LOG_MESSAGES.runFailed, {
        error: result.error,
        messageId,
        ...(change === undefined ? {} : { change: reportedChange(change.parsed.change) }),
      });
      failed.push(messageId);
    } else {
      publishReport(result.report, telemetry);
    }
  });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
