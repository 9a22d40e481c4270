/**
 * An in-process ECS endpoint, plugged in as an SDK client's request handler, so the real client stack
 * (serialisation, retries, our pacing middleware, error parsing) talks to a backend function.
 * Adapted from test/support/ecs-http.ts, which reads string bodies only: this SDK sends a Uint8Array.
 */
export type EcsAnswer =
  | { readonly ok: unknown }
  | { readonly error: string; readonly message: string; readonly status?: number };

export type EcsBackend = (action: string, input: Record<string, unknown>) => EcsAnswer | Promise<EcsAnswer>;

interface HttpRequestLike {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

function inputOf(body: unknown): Record<string, unknown> {
  const text =
    typeof body === 'string'
      ? body
      : body instanceof Uint8Array
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
        : '';
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** awsJson1_1: the action is in `x-amz-target`, errors carry their type in `x-amzn-errortype`. */
export function ecsEndpoint(backend: EcsBackend) {
  return {
    async handle(request: HttpRequestLike) {
      const target = request.headers['x-amz-target'] ?? '';
      const answer = await backend(target.slice(target.lastIndexOf('.') + 1), inputOf(request.body));
      const isError = 'error' in answer;
      const body = isError ? { __type: answer.error, message: answer.message } : answer.ok;
      return {
        response: {
          statusCode: isError ? (answer.status ?? 400) : 200,
          reason: isError ? answer.error : 'OK',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': 'bench',
            ...(isError ? { 'x-amzn-errortype': answer.error } : {}),
          },
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
}
