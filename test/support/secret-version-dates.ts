/**
 * A stand-in in front of the emulator that answers ListSecretVersionIds as AWS does. moto 5.2.1 answers it
 * with `CreatedDate` = the moment of the call for every version (AWS: each version's own creation time) and
 * with the secret's name as its `ARN` (AWS: the full ARN). This proxy watches the calls that create versions
 * pass through it (CreateSecret, PutSecretValue, UpdateSecret with a value), notes each version's creation
 * to the millisecond and each secret's ARN, and rewrites ListSecretVersionIds answers with them. Everything
 * else is forwarded untouched. A version it did not see being created makes ListSecretVersionIds fail
 * loudly, so no test can lean on moto's answer by accident. moto also fails ListSecretVersionIds on a secret
 * it does not know with HTTP 500 (which the SDK retries); AWS answers ResourceNotFoundException, and so
 * does this stand-in.
 *
 *   const dates = await startSecretVersionDates(moto.endpoint);
 *   const seed = seeder(dates.endpoint);            // create and change secrets through it
 *   dates.backdate(versionId, Date.parse('...'));    // or set a version's creation time outright
 */
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretVersionDates {
  readonly endpoint: string;
  /** When each version seen was created, epoch milliseconds. */
  createdAt(versionId: string): number | undefined;
  /** Sets a version's creation time, as if it had been created then. */
  backdate(versionId: string, epochMs: number): void;
  stop(): Promise<void>;
}

const CREATING = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecret']);

function forwardedHeaders(headers: IncomingHttpHeaders, host: string): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers, host };
  delete copy.connection;
  return copy;
}

interface VersionListing {
  ARN?: string;
  Name?: string;
  Versions?: { VersionId?: string; CreatedDate?: number }[];
}

export async function startSecretVersionDates(target: string): Promise<SecretVersionDates> {
  const upstream = new URL(target);
  const created = new Map<string, number>();
  const arnByName = new Map<string, string>();

  const rewriteListing = (body: string): { status: number; body: string } => {
    const listing = JSON.parse(body) as VersionListing;
    const unseen = (listing.Versions ?? []).filter(
      (version) => version.VersionId === undefined || !created.has(version.VersionId),
    );
    if (unseen.length > 0) {
      return {
        status: 500,
        body: JSON.stringify({
          __type: 'InternalServiceError',
          message: `the stand-in did not see versions ${unseen.map((v) => v.VersionId).join(', ')} created: create them through it`,
        }),
      };
    }
    const arn = listing.Name === undefined ? undefined : arnByName.get(listing.Name);
    return {
      status: 200,
      body: JSON.stringify({
        ...listing,
        ...(arn === undefined ? {} : { ARN: arn }),
        Versions: (listing.Versions ?? []).map((version) => ({
          ...version,
          CreatedDate: (created.get(version.VersionId ?? '') ?? 0) / 1000,
        })),
      }),
    };
  };

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = String(incoming.headers['x-amz-target'] ?? '');
      const action = targetHeader.startsWith('secretsmanager.')
        ? targetHeader.slice('secretsmanager.'.length)
        : '';
      const forwarded = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: forwardedHeaders(incoming.headers, upstream.host),
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            let text = Buffer.concat(answerChunks).toString('utf8');
            let status = answer.statusCode ?? 502;
            if (status === 200 && CREATING.has(action)) {
              const made = JSON.parse(text) as { ARN?: string; Name?: string; VersionId?: string };
              if (made.VersionId !== undefined) created.set(made.VersionId, Date.now());
              if (made.ARN !== undefined && made.Name !== undefined) arnByName.set(made.Name, made.ARN);
            }
            let errorType: string | undefined;
            if (action === 'ListSecretVersionIds' && status === 500) {
              status = 400;
              errorType = 'ResourceNotFoundException';
              text = JSON.stringify({
                __type: errorType,
                message: "Secrets Manager can't find the specified secret.",
              });
            } else if (status === 200 && action === 'ListSecretVersionIds') {
              ({ status, body: text } = rewriteListing(text));
              if (status !== 200) errorType = 'InternalServiceError';
            }
            const headers = {
              ...answer.headers,
              'content-type': 'application/x-amz-json-1.1',
              'content-length': String(Buffer.byteLength(text)),
              ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
            };
            outgoing.writeHead(status, headers);
            outgoing.end(text);
          });
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`stand-in could not reach ${target}: ${error.message}`);
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
    createdAt: (versionId) => created.get(versionId),
    backdate: (versionId, epochMs) => void created.set(versionId, epochMs),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
