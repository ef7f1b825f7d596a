// Clients: every request counted, retried the way a careful client retries.

import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { sleep } from './clock';

/** How long a counter client keeps retrying one operation before it gives up on it. */
export const COUNTER_PATIENCE_MS = 40_000;
/** A collector's app keeps an unacknowledged upload much longer: the file is precious. */
export const UPLOAD_PATIENCE_MS = 240_000;

export interface Counters {
  requests: number;
  failures: number;
}

interface Reply {
  status: number;
  code: string | undefined;
  body: Record<string, unknown>;
}

export interface ApiRequest {
  method: 'GET' | 'POST';
  url: string;
  token: string;
  json?: unknown;
  upload?: { authorisationNo: string; file: string };
  key?: string;
}

/** Answers that say "not now": the same request again later may succeed. */
function transient(r: Reply): boolean {
  return (
    r.status === 0 ||
    r.status >= 500 ||
    r.status === 429 ||
    (r.status === 409 && (r.code === 'IDEMPOTENCY_IN_PROGRESS' || r.code === 'CONCURRENT_UPDATE'))
  );
}

/** The request was carried out, but its answer could not be kept: look the result up, never repeat it. */
export function responseLost(r: Reply): boolean {
  return r.status === 409 && r.code === 'IDEMPOTENCY_RESPONSE_LOST';
}

export function describe(r: Reply): string {
  return r.status === 0 ? `no answer (${String(r.body.detail)})` : `${r.status} ${r.code ?? ''}`.trim();
}

let turn = 0;

async function send(c: Counters, bases: readonly string[], req: ApiRequest): Promise<Reply> {
  // several API processes: each attempt goes to the next one, as a round-robin balancer would send it
  const base = bases[turn++ % bases.length]!;
  c.requests += 1;
  let reply: Reply;
  try {
    const headers: Record<string, string> = { Authorization: `Bearer ${req.token}` };
    if (req.key) headers['Idempotency-Key'] = req.key;
    let body: string | FormData | undefined;
    if (req.upload) {
      // a new form each attempt: a body that was sent cannot be sent again
      const form = new FormData();
      form.set('authorisationNo', req.upload.authorisationNo);
      form.set('file', await openAsBlob(req.upload.file), path.basename(req.upload.file));
      body = form;
    } else if (req.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    const res = await fetch(`${base}/api/v1${req.url}`, {
      method: req.method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    const json = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    reply = { status: res.status, code: typeof json.code === 'string' ? json.code : undefined, body: json };
  } catch (err) {
    reply = { status: 0, code: 'NO_ANSWER', body: { detail: (err as Error).message } };
  }
  if (transient(reply)) c.failures += 1;
  return reply;
}

type Outcome = ({ settled: true; reply: Reply } | { settled: false; last: Reply }) & { attempts: number };

/** The same request (same key, same body) again after a growing pause while the answer is "not now". */
export async function persist(
  c: Counters,
  bases: readonly string[],
  req: ApiRequest,
  patienceMs: number,
): Promise<Outcome> {
  const until = Date.now() + patienceMs;
  let pause = 250;
  for (let attempts = 1; ; attempts++) {
    const reply = await send(c, bases, req);
    if (!transient(reply)) return { settled: true, reply, attempts };
    if (Date.now() + pause > until) return { settled: false, last: reply, attempts };
    await sleep(pause);
    pause = Math.min(pause * 2, 2000);
  }
}

/** For the drill's own set-up and polling: anything but the expected answer stops the drill. */
export async function must<T>(
  c: Counters,
  bases: readonly string[],
  req: ApiRequest,
  statuses: readonly number[] = [200, 201, 202],
): Promise<T> {
  const out = await persist(c, bases, req, 60_000);
  const reply = out.settled ? out.reply : out.last;
  if (!out.settled || !statuses.includes(reply.status)) {
    throw new Error(`${req.method} ${req.url}: ${describe(reply)} ${JSON.stringify(reply.body)}`);
  }
  return reply.body as T;
}
