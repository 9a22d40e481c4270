/** The middy handler both change functions share: parse at the edge, run the use case, publish the report. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type HandleChangePorts, redeployForChange } from '../app/handle-change.ts';
import { publishReport } from '../app/publish-report.ts';
import { createAwsClients } from '../aws/clients.ts';
import { type Change, parseEventOfKind } from '../core/change.ts';
import type { Telemetry } from '../core/ports.ts';
import type { Report } from '../core/report.ts';
import { changeAdapters, clientOptionsOf } from '../wiring/adapters.ts';
import { lambdaInvocation } from '../wiring/invocation.ts';
import { logFailures, observability, warningsTo } from '../wiring/observability.ts';
import { type Settings, settingsFromEnv } from '../wiring/settings.ts';

export interface ChangeHandlerDependencies {
  readonly settings: Settings;
  readonly ports: HandleChangePorts;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
}

/** Real dependencies, created once per execution environment so warm invocations reuse clients and caches. */
export function defaultDependencies(env: NodeJS.ProcessEnv = process.env): ChangeHandlerDependencies {
  const settings = settingsFromEnv(env);
  const { logger, metrics, telemetry } = observability();
  const clients = createAwsClients(clientOptionsOf(settings));
  const ports = changeAdapters(clients, settings, warningsTo(telemetry));
  return { settings, ports, logger, metrics, telemetry };
}

export function createChangeHandler(kind: Change['kind'], dependencies: ChangeHandlerDependencies) {
  const { settings, ports, logger, metrics, telemetry } = dependencies;
  return middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(logFailures(telemetry))
    .handler(async (event: unknown, context: Context): Promise<Report> => {
      const parsed = parseEventOfKind(kind, event);
      const report = await redeployForChange(parsed, ports, settings, lambdaInvocation(context));
      publishReport(report, telemetry);
      return report;
    });
}
