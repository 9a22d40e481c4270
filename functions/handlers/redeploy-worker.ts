/** Lambda entry point for the redeploy queue: one UpdateService per service and change, partial batch failures. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { redeployQueued } from '../app/redeploy-from-queue.ts';
import { createAwsClients } from '../aws/clients.ts';
import { EcsRedeployer } from '../aws/ecs-redeployer.ts';
import { SqsRetryDelay } from '../aws/sqs-redeploy-queue.ts';
import { StateTable } from '../aws/state-table.ts';
import { ConfigurationError } from '../core/errors.ts';
import { parseRedeployMessage, retryDelaySeconds } from '../core/queue-message.ts';
import { failureReason } from '../core/report.ts';
import { settingsFromEnv } from '../wiring/settings.ts';
import { observability } from './change-handler.ts';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`${name} must be set for the redeploy worker`);
  return value;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new ConfigurationError(`${name} must be a whole number above 0, got "${value}"`);
  return Number(value);
}

export function createWorkerHandler(env: NodeJS.ProcessEnv = process.env) {
  const settings = settingsFromEnv(env);
  const queueUrl = required(env, 'QUEUE_URL');
  const tableName = required(env, 'TABLE_NAME');
  // After this many receives SQS moves the message to the dead-letter queue (the queue's redrive policy).
  const maxReceiveCount = whole(env, 'MAX_RECEIVE_COUNT', 5);
  const holdMs = whole(env, 'VISIBILITY_TIMEOUT_SECONDS', 300) * 1000;
  const { logger, metrics } = observability();
  const clients = createAwsClients({ updatesPerSecond: settings.updatesPerSecond });
  const ports = {
    pending: new StateTable(clients.dynamodb, { tableName }),
    redeployer: new EcsRedeployer(clients.ecsUpdates),
  };
  const retry = new SqsRetryDelay(clients.sqs, queueUrl);
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    const message = parseRedeployMessage(record.body);
    const context = {
      ecsService: message.service,
      change: message.change,
      changeKey: message.changeKey,
      receiveCount,
    };
    try {
      const outcome = await redeployQueued(message, ports, record.messageId, holdMs);
      if (outcome.action === 'already-done') {
        logger.info('redeploy already done for this change', context);
        return;
      }
      logger.info('service redeployed', {
        ...context,
        deploymentId: outcome.deploymentId,
        changeKeys: outcome.changeKeys,
      });
      metrics.addMetric('ServicesRedeployed', MetricUnit.Count, 1);
      if (outcome.changeKeys.length > 1)
        metrics.addMetric('ChangesCoalesced', MetricUnit.Count, outcome.changeKeys.length - 1);
    } catch (error) {
      const reason = failureReason(error);
      if (receiveCount >= maxReceiveCount) {
        logger.error('service redeploy failed', {
          ...context,
          ecsService: { ...message.service, reason },
          deadLetterQueue: true,
        });
        metrics.addMetric('ServicesFailed', MetricUnit.Count, 1);
      } else {
        logger.warn('service redeploy failed, will be retried', { ...context, reason });
        await retry
          .delay(record.receiptHandle, retryDelaySeconds(receiveCount))
          .catch((delayError: unknown) =>
            logger.warn('could not delay the retry', { error: delayError as Error }),
          );
      }
      throw error;
    }
  };

  return middy<SQSEvent>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: SQSEvent, context: Context) =>
      // One record after another: two changes to one service in a batch then coalesce (the second finds its
      // change done) instead of meeting a busy service; UpdateService is paced to about one a second anyway.
      processPartialResponse(event, handleRecord, processor, {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: false,
      }),
    );
}

export const handler = createWorkerHandler();
