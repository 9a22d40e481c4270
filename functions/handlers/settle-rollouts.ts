/**
 * Lambda entry point of the settle function: the settle queue's records (partial batch failures), each an
 * ECS Deployment State Change event or a delayed look, all ending in one settled report per change.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { settleQueueRecord } from '../app/settle-rollouts.ts';
import { createAwsClients } from '../aws/clients.ts';
import { clientOptionsOf, settleAdapters } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { logFailures, observability } from '../wiring/observability.ts';
import { settleSettingsFromEnv } from '../wiring/settings.ts';

export function createSettleHandler(env: NodeJS.ProcessEnv = process.env) {
  const settings = settleSettingsFromEnv(env);
  const { logger, metrics, telemetry } = observability();
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = settleAdapters(clients, settings, telemetry);
  const processor = new BatchProcessor(EventType.SQS);

  return middy<SQSEvent>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(logFailures(telemetry))
    .handler(async (event: SQSEvent, context: Context) => {
      const invocation = lambdaInvocation(context);
      return processPartialResponse(
        event,
        (record: SQSRecord) => settleQueueRecord(record.body, ports, settings, invocation),
        processor,
        { context, throwOnFullBatchFailure: false },
      );
    });
}

export const handler = createSettleHandler();
