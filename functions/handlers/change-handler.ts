/** The middy handler both change functions share: parse at the edge, run the use case, report. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createAwsClients } from '../aws/clients.ts';
import { type Settings, settingsFromEnv } from '../config.ts';
import { type Change, parseEvent } from '../core/change.ts';
import { InvalidEventError } from '../core/errors.ts';
import { metricValuesOf, type Report } from '../core/report.ts';
import { portsFromAws } from '../ports-from-aws.ts';
import { type RedeployPorts, redeployForChange } from '../redeploy.ts';

export const SERVICE_NAME = 'rotation-redeploy';
export const METRICS_NAMESPACE = 'RotationRedeploy';

export interface ChangeHandlerDependencies {
  readonly settings: Settings;
  readonly ports: RedeployPorts;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Real dependencies, created once per execution environment so warm invocations reuse clients and caches. */
export function defaultDependencies(env: NodeJS.ProcessEnv = process.env): ChangeHandlerDependencies {
  const settings = settingsFromEnv(env);
  const logger = new Logger({ serviceName: SERVICE_NAME });
  return {
    settings,
    logger,
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
    ports: portsFromAws(createAwsClients(), settings, (serviceArn) =>
      logger.warn('tagged service in the short ARN format is skipped: its cluster cannot be told', { serviceArn }),
    ),
  };
}

const KIND_NAMES: Record<Change['kind'], string> = {
  secretsmanager: 'Secrets Manager',
  ssm: 'SSM Parameter Store',
};

/** Logs the report as one line, each failed service as its own error line, and the report's metrics. */
export function publishReport(report: Report, logger: Logger, metrics: Metrics): void {
  logger.info('redeploy report', { report });
  for (const service of report.services) {
    if (service.action !== 'failed') continue;
    logger.error('service redeploy failed', {
      service: {
        serviceArn: service.serviceArn,
        serviceName: service.serviceName,
        clusterArn: service.clusterArn,
        reason: service.reason,
      },
      change: report.change,
    });
  }
  for (const [name, value] of Object.entries(metricValuesOf(report))) metrics.addMetric(name, MetricUnit.Count, value);
}

export function createChangeHandler(kind: Change['kind'], dependencies: ChangeHandlerDependencies) {
  const { settings, ports, logger, metrics } = dependencies;
  return middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: unknown): Promise<Report> => {
      const parsed = parseEvent(event);
      if (parsed.change.kind !== kind) {
        throw new InvalidEventError(
          `this function handles ${KIND_NAMES[kind]} events, but the event is about ${KIND_NAMES[parsed.change.kind]} item ${parsed.change.arn}`,
        );
      }
      const report = await redeployForChange(parsed, ports, settings);
      publishReport(report, logger, metrics);
      return report;
    });
}
