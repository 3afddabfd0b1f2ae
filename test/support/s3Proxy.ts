import { IncomingMessage, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the network between Lifeboat and the S3 server does to the traffic. `stripChecksums`:
 * the answers lose every checksum header and element, as from a server that does not do S3's
 * flexible checksums ('all'), or only the HeadObject answers do ('head'). `corruptPart`: one
 * byte of that part's body is flipped on its way to the server.
 */
export interface S3ProxyFaults {
  stripChecksums?: 'all' | 'head';
  corruptPart?: number;
}

export interface S3Proxy {
  endpoint: string;
  faults: S3ProxyFaults;
  /** Parts whose bytes were flipped, as "partNumber". */
  corrupted: number[];
  /** Every request passed on, as "METHOD /bucket/key" (the query left off). */
  requests: string[];
  stop(): Promise<void>;
}

async function bodyOf(msg: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of msg) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const CHECKSUM_HEADER = /^x-amz-(sdk-)?checksum-/i;
const CHECKSUM_ELEMENT =
  /<Checksum(?:Algorithm|Type|SHA256|CRC32C?|CRC64NVME|SHA1)>[^<]*<\/Checksum(?:Algorithm|Type|SHA256|CRC32C?|CRC64NVME|SHA1)>/g;

/** A forwarding HTTP proxy on 127.0.0.1 in front of the S3 test server: a fake of the network, not of S3. */
export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const to = new URL(target);
  const faults: S3ProxyFaults = {};
  const corrupted: number[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      let body = await bodyOf(req);
      const url = new URL(req.url ?? '/', target);
      requests.push(`${req.method} ${decodeURIComponent(url.pathname)}`);
      const part = Number(url.searchParams.get('partNumber'));
      if (req.method === 'PUT' && part && part === faults.corruptPart && body.length) {
        body = Buffer.from(body);
        body[body.length >> 1] ^= 0xff;
        corrupted.push(part);
      }
      const upstream = request(
        {
          host: to.hostname,
          port: to.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          void bodyOf(answer).then((got) => {
            const strip = faults.stripChecksums === 'all' || (faults.stripChecksums === 'head' && req.method === 'HEAD');
            const headers = { ...answer.headers };
            if (strip) {
              for (const h of Object.keys(headers)) if (CHECKSUM_HEADER.test(h)) delete headers[h];
              // Only XML answers carry checksum elements; an object's own bytes pass untouched.
              if (/xml/.test(String(headers['content-type']))) {
                got = Buffer.from(got.toString('utf8').replace(CHECKSUM_ELEMENT, ''));
                headers['content-length'] = String(got.length);
              }
            }
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(req.method === 'HEAD' ? undefined : got);
          });
        },
      );
      upstream.once('error', () => res.destroy());
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    corrupted,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
