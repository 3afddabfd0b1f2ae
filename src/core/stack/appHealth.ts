import * as http from 'node:http';
import * as https from 'node:https';
import { CancelledError, LifeboatError } from '../common';

export interface HealthSpec {
  url: string;
  /** Fields the JSON body must contain, e.g. `{"status": "healthy", "database": "connected"}`. */
  expect?: Record<string, unknown>;
  timeoutMs?: number;
}

export interface HealthResult {
  status: number;
  body: string;
  ms: number;
}

/**
 * Polls the app's health URL until it answers 2xx with the expected JSON fields, or the time
 * is up. A freshly started app refuses connections for a moment; that is retried, not failed.
 */
export async function waitForHealthy(spec: HealthSpec, signal?: AbortSignal): Promise<HealthResult> {
  const started = Date.now();
  const deadline = started + (spec.timeoutMs ?? 60_000);
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new CancelledError();
    try {
      const r = await get(spec.url, Math.max(1000, Math.min(5000, deadline - Date.now())));
      const problem = judge(r, spec.expect);
      if (!problem) return { ...r, ms: Date.now() - started };
      last = problem;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new LifeboatError(
    `The health check failed: ${spec.url} ${last} (waited ${Math.round((Date.now() - started) / 1000)} s).`,
    'See the app logs (docker compose logs) and the Lifeboat log.',
  );
}

function judge(r: { status: number; body: string }, expect: Record<string, unknown> | undefined): string | undefined {
  if (r.status < 200 || r.status >= 300) return `answered ${r.status} ${r.body.slice(0, 200)}`;
  if (!expect) return undefined;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.body);
  } catch {
    return `answered ${r.status} but not JSON: ${r.body.slice(0, 200)}`;
  }
  for (const [k, v] of Object.entries(expect)) {
    if (JSON.stringify(json[k]) !== JSON.stringify(v)) return `answered ${r.body.slice(0, 200)}; expected "${k}": ${JSON.stringify(v)}`;
  }
  return undefined;
}

function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 64 * 1024) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
