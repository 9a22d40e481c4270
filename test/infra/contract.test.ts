/**
 * The stack agrees with what the functions emit, log and read: the names in functions/contract.ts, checked
 * against the synthesized template rather than against the constructs' source.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, LOG_MESSAGES, METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/contract.ts';
import { createStubBundleDir, synthesize } from './synth.ts';

let template: Template;
beforeAll(() => {
  ({ template } = synthesize(createStubBundleDir(), { cloudTrailFallback: true }));
});

type Resource = { Properties: Record<string, unknown> };
const resourcesOf = (type: string) => Object.values(template.findResources(type)) as Resource[];

/** Dashboard bodies are a Fn::Join of JSON text and tokens; a token always sits inside a JSON string. */
function dashboardWidgets(): { type: string; properties: Record<string, unknown> }[] {
  return resourcesOf('AWS::CloudWatch::Dashboard').flatMap((dashboard) => {
    const body = dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
    const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    return JSON.parse(text).widgets;
  });
}

/** The functions' own metrics (namespace and `service` dimension) a dashboard widget charts. */
function chartedMetrics(): string[] {
  return dashboardWidgets()
    .flatMap((widget) => (widget.properties.metrics ?? []) as unknown[][])
    .filter(([namespace]) => namespace === METRICS_NAMESPACE)
    .map((metric) => {
      expect(metric.slice(2, 4)).toEqual(['service', SERVICE_NAME]);
      return String(metric[1]);
    });
}

/** The functions' own metrics an alarm watches. */
function alarmedMetrics(): string[] {
  return resourcesOf('AWS::CloudWatch::Alarm')
    .filter((alarm) => alarm.Properties.Namespace === METRICS_NAMESPACE)
    .map((alarm) => {
      expect(alarm.Properties.Dimensions).toEqual([{ Name: 'service', Value: SERVICE_NAME }]);
      return String(alarm.Properties.MetricName);
    });
}

function variablesOf(): Record<string, unknown>[] {
  return resourcesOf('AWS::Lambda::Function').map(
    (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
  );
}

/** The messages a Logs Insights query keeps: `filter message = "…"` or `filter message in ["…", …]`. */
function filteredMessages(query: string): string[] {
  const filter = /\| filter message (?:= ("(?:[^"\\]|\\.)*")|in (\[.*\]))$/m.exec(query);
  if (filter === null) return [];
  return filter[1] !== undefined ? [JSON.parse(filter[1])] : JSON.parse(filter[2] ?? '[]');
}

describe('the contract between the functions and the stack', () => {
  it('charts or alarms on every metric the functions emit, and on no other of their namespace', () => {
    // Act
    const watched = new Set([...chartedMetrics(), ...alarmedMetrics()]);

    // Assess
    expect(Object.values(METRICS).filter((metric) => !watched.has(metric))).toEqual([]);
    const emitted: readonly string[] = Object.values(METRICS);
    expect([...watched].filter((metric) => !emitted.includes(metric))).toEqual([]);
  });

  it('filters every saved query and every dashboard log table on messages the functions log', () => {
    // Prepare
    const saved = resourcesOf('AWS::Logs::QueryDefinition').map((query) =>
      String(query.Properties.QueryString),
    );
    const tables = dashboardWidgets()
      .filter((widget) => widget.type === 'log')
      .map((widget) => String(widget.properties.query));

    // Act
    const filters = [...saved, ...tables].map(filteredMessages);

    // Assess
    expect(saved).toHaveLength(5);
    expect(tables).toHaveLength(6);
    const logged: readonly string[] = Object.values(LOG_MESSAGES);
    for (const messages of filters) {
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.filter((message) => !logged.includes(message))).toEqual([]);
    }
  });

  it('sets only environment variables the functions read, and every one of them somewhere', () => {
    // Prepare: the variables Node.js and Powertools read, named by them rather than by the contract.
    const runtime = [
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ];

    // Act
    const names = variablesOf().flatMap((variables) => Object.keys(variables));

    // Assess
    const read: readonly string[] = Object.values(ENV);
    expect(names.filter((name) => !read.includes(name) && !runtime.includes(name))).toEqual([]);
    expect(read.filter((name) => !names.includes(name))).toEqual([]);
  });

  it('has every function log and emit metrics under the service name and namespace the stack watches', () => {
    // Act
    const variables = variablesOf();

    // Assess
    expect(variables).toHaveLength(6);
    for (const fn of variables) {
      expect(fn).toMatchObject({
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      });
    }
  });
});
