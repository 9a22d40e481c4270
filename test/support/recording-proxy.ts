/**
 * An HTTP proxy in front of the emulator that records every AWS JSON-protocol call (ECS, the tagging API)
 * and can answer chosen calls with an error, so a test can count what the tool asked for and inject the
 * faults moto cannot produce. Point the code under test at `proxy.endpoint` (AWS_ENDPOINT_URL).
 *
 *   const proxy = await startRecordingProxy(moto.endpoint);
 *   proxy.failWhen((call) => call.action === 'UpdateService', { type: 'AccessDeniedException', message: '...' });
 */
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  /** The `x-amz-target` prefix, e.g. `AmazonEC2ContainerServiceV20141113` or `ResourceGroupsTaggingAPI_20170126`. */
  readonly service: string;
  /** e.g. `UpdateService`. */
  readonly action: string;
  readonly input: Record<string, unknown>;
}

export interface InjectedFault {
  readonly type: string;
  readonly message: string;
  readonly status?: number;
}

export interface RecordingProxy {
  readonly endpoint: string;
  /** Every call since the last `clear()`, in arrival order. Calls without `x-amz-target` are not recorded. */
  readonly calls: readonly RecordedCall[];
  /** The recorded calls of one action. */
  callsOf(action: string): RecordedCall[];
  clear(): void;
  /** Answers every call `matches` picks with `fault` instead of forwarding it. */
  failWhen(matches: (call: RecordedCall) => boolean, fault: InjectedFault): void;
  /**
   * Rewrites the JSON answer of every forwarded call `matches` picks: a stand-in for what the emulator does not
   * keep (ECS's `deploymentConfiguration.strategy`, for one).
   */
  rewriteWhen(
    matches: (call: RecordedCall) => boolean,
    rewrite: (answer: Record<string, unknown>) => unknown,
  ): void;
  /**
   * Answers every call `matches` picks with the JSON `answer` gives, without forwarding it: a stand-in for
   * an action the emulator lacks (ListServiceDeployments, for one).
   */
  answerWhen(matches: (call: RecordedCall) => boolean, answer: (call: RecordedCall) => unknown): void;
  /** Forgets every fault, rewrite and answer. */
  heal(): void;
  stop(): Promise<void>;
}

function forwardedHeaders(headers: IncomingHttpHeaders, host: string): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers, host };
  delete copy.connection;
  return copy;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  let faults: { matches: (call: RecordedCall) => boolean; fault: InjectedFault }[] = [];
  let answers: { matches: (call: RecordedCall) => boolean; answer: (call: RecordedCall) => unknown }[] = [];
  let rewrites: {
    matches: (call: RecordedCall) => boolean;
    rewrite: (answer: Record<string, unknown>) => unknown;
  }[] = [];

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = incoming.headers['x-amz-target'];
      let rewrite: ((answer: Record<string, unknown>) => unknown) | undefined;
      if (typeof targetHeader === 'string') {
        const dot = targetHeader.lastIndexOf('.');
        let input: Record<string, unknown> = {};
        try {
          input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        } catch {
          // not JSON: keep the call, without its input
        }
        const call = { service: targetHeader.slice(0, dot), action: targetHeader.slice(dot + 1), input };
        calls.push(call);
        rewrite = rewrites.find((candidate) => candidate.matches(call))?.rewrite;
        const stoodIn = answers.find((candidate) => candidate.matches(call));
        if (stoodIn !== undefined) {
          const payload = JSON.stringify(stoodIn.answer(call));
          outgoing.writeHead(200, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': 'stand-in',
            'content-length': Buffer.byteLength(payload),
          });
          outgoing.end(payload);
          return;
        }
        const fault = faults.find((candidate) => candidate.matches(call))?.fault;
        if (fault !== undefined) {
          const payload = JSON.stringify({ __type: fault.type, message: fault.message });
          outgoing.writeHead(fault.status ?? 400, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': fault.type,
            'x-amzn-requestid': 'injected-fault',
            'content-length': Buffer.byteLength(payload),
          });
          outgoing.end(payload);
          return;
        }
      }
      const forwarded = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: forwardedHeaders(incoming.headers, upstream.host),
        },
        (answer) => {
          const status = answer.statusCode ?? 502;
          if (rewrite === undefined || status !== 200) {
            outgoing.writeHead(status, answer.headers);
            answer.pipe(outgoing);
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const payload = JSON.stringify(rewrite(JSON.parse(Buffer.concat(parts).toString('utf8'))));
            // The checksum would no longer match the rewritten body.
            const { 'x-amz-crc32': _checksum, ...kept } = answer.headers;
            const headers = { ...kept, 'content-length': String(Buffer.byteLength(payload)) };
            outgoing.writeHead(status, headers);
            outgoing.end(payload);
          });
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`proxy could not reach ${target}: ${error.message}`);
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    callsOf: (action) => calls.filter((call) => call.action === action),
    clear: () => {
      calls.length = 0;
    },
    failWhen: (matches, fault) => {
      faults.push({ matches, fault });
    },
    rewriteWhen: (matches, rewrite) => {
      rewrites.push({ matches, rewrite });
    },
    answerWhen: (matches, answer) => {
      answers.push({ matches, answer });
    },
    heal: () => {
      faults = [];
      rewrites = [];
      answers = [];
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
