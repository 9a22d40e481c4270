/** The middy handler both change functions share: parse at the edge, run the use case, report. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { redeployForChange } from '../app/handle-change.ts';
import { createAwsClients } from '../aws/clients.ts';
import { parseArn } from '../core/arn.ts';
import { type Change, parseEvent } from '../core/change.ts';
import { InvalidEventError } from '../core/errors.ts';
import { metricValuesOf, type Report } from '../core/report.ts';
import { type AwsPorts, portsFromAws } from '../wiring/adapters.ts';
import { type Settings, settingsFromEnv } from '../wiring/settings.ts';

export const SERVICE_NAME = 'rotation-redeploy';
export const METRICS_NAMESPACE = 'RotationRedeploy';

export interface ChangeHandlerDependencies {
  /** Told the account of each invocation's function, read from its ARN. */
  readonly accountHolder?: { account: string | undefined };
  readonly settings: Settings;
  readonly ports: AwsPorts;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function observability(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}

/** Real dependencies, created once per execution environment so warm invocations reuse clients and caches. */
export function defaultDependencies(env: NodeJS.ProcessEnv = process.env): ChangeHandlerDependencies {
  const settings = settingsFromEnv(env);
  const { logger, metrics } = observability();
  const clients = createAwsClients({ updatesPerSecond: settings.updatesPerSecond });
  const accountHolder: { account: string | undefined } = { account: undefined };
  return {
    accountHolder,
    settings,
    logger,
    metrics,
    ports: portsFromAws(
      clients,
      settings,
      {
        unplaceable: (serviceArn) =>
          logger.warn('tagged service in the short ARN format is skipped: its cluster cannot be told', {
            serviceArn,
          }),
        storeError: (error) =>
          logger.warn('state table unavailable, task definitions read from ECS', { error }),
      },
      { ownAccount: () => accountHolder.account },
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
    // `service` is Powertools' own key (the tool's name): the ECS service goes under `ecsService`.
    logger.error('service redeploy failed', {
      ecsService: {
        serviceArn: service.serviceArn,
        serviceName: service.serviceName,
        clusterArn: service.clusterArn,
        reason: service.reason,
      },
      change: report.change,
    });
  }
  for (const [name, value] of Object.entries(metricValuesOf(report)))
    metrics.addMetric(name, MetricUnit.Count, value);
}

/** Says why an invocation failed before it is retried or sent to the on-failure destination. */
function logFailure(logger: Logger) {
  return {
    onError: async (request: { error: unknown }) => {
      const refused = request.error instanceof InvalidEventError;
      logger.error(refused ? 'event refused' : 'run failed, to be retried', {
        error: request.error as Error,
      });
    },
  };
}

export function createChangeHandler(kind: Change['kind'], dependencies: ChangeHandlerDependencies) {
  const { settings, ports, logger, metrics, accountHolder } = dependencies;
  return middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(logFailure(logger))
    .handler(async (event: unknown, context: Context): Promise<Report> => {
      ports.once?.registerLambdaContext(context);
      if (accountHolder !== undefined)
        accountHolder.account = parseArn(context.invokedFunctionArn ?? '')?.account;
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
