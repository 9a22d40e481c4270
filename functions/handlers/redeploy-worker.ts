/** Lambda entry point for the redeploy queue: one UpdateService per service and change, partial batch failures. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { redeployQueueRecord } from '../app/redeploy-from-queue.ts';
import { createAwsClients } from '../aws/clients.ts';
import { clientOptionsOf, workerAdapters } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { observability } from '../wiring/observability.ts';
import { workerSettingsFromEnv } from '../wiring/settings.ts';

export function createWorkerHandler(env: NodeJS.ProcessEnv = process.env) {
  const settings = workerSettingsFromEnv(env);
  const { logger, metrics, telemetry } = observability();
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = workerAdapters(clients, settings, telemetry);
  const processor = new BatchProcessor(EventType.SQS);

  return middy<SQSEvent>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: SQSEvent, context: Context) => {
      const invocation = lambdaInvocation(context);
      // One record after another: two changes to one service in a batch then coalesce (the second finds its
      // change done) instead of meeting a busy service; UpdateService is paced to about one a second anyway.
      return processPartialResponse(
        event,
        (record: SQSRecord) => redeployQueueRecord(record, ports, settings, invocation),
        processor,
        { context, throwOnFullBatchFailure: false, processInParallel: false },
      );
    });
}

export const handler = createWorkerHandler();
