import { randomInt } from 'node:crypto';
import request from 'supertest';
import { idCheckCharacter } from '../../src/components/residents';
import { addYears, localDate } from '../../src/platform/dates';
import { harness, type Harness } from './harness';

/** Every identity number and phone the suite hands out, so the privacy checks know what to look for. */
export const issuedSecrets = new Set<string>();

export type Role = keyof Harness['tokens'];

export function api(role?: Role) {
  const h = harness();
  const agent = request(h.app);
  const auth = role ? { Authorization: `Bearer ${h.tokens[role]}` } : {};
  return {
    get: (url: string) => agent.get(url).set(auth),
    post: (url: string, body?: object) => {
      const req = agent.post(url).set(auth);
      return body === undefined ? req : req.send(body);
    },
  };
}

/**
 * A well-formed identity number for someone born on `birthDate`. The default region (440607, 三水区)
 * is one that ../shared/tools/gen-residents.mjs never uses, so a person made here can never be one of
 * the sample or generated batches' people, whose reports must find them new to the database.
 */
export function idNumberFor(
  birthDate: string,
  gender: 'M' | 'F' = randomInt(2) ? 'M' : 'F',
  region = '440607',
): string {
  for (;;) {
    const seq = randomInt(0, 500) * 2 + (gender === 'M' ? 1 : 0);
    const first17 = `${region}${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
    const id = first17 + idCheckCharacter(first17);
    if (!issuedSecrets.has(id)) {
      issuedSecrets.add(id);
      return id;
    }
  }
}

export function mobile(): string {
  const phone = `13${randomInt(0, 10)}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  issuedSecrets.add(phone);
  return phone;
}

/** A birth date that makes someone `years` old today (Shunde date), give or take `days`. */
export function bornYearsAgo(years: number, days = 30): string {
  const today = localDate(harness().clock.now());
  const d = new Date(`${addYears(today, -years)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

export interface ResidentOptions {
  age?: number;
  birthDate?: string;
  name?: string;
  town?: string;
  guardian?: boolean | { name: string; idNumber: string; relation: string };
}

export interface BuiltResident {
  id: string;
  idNumber: string;
  name: string;
  phone: string;
  birthDate: string;
  guardian?: { name: string; idNumber: string; relation: string };
}

export async function registerResident(opts: ResidentOptions = {}): Promise<BuiltResident> {
  const birthDate = opts.birthDate ?? bornYearsAgo(opts.age ?? 35);
  const idNumber = idNumberFor(birthDate);
  const phone = mobile();
  const guardian =
    opts.guardian === true
      ? { name: '监护人', idNumber: idNumberFor(bornYearsAgo(40)), relation: '父亲' }
      : opts.guardian || undefined;
  const name = opts.name ?? '梁嘉欣';
  const res = await api('counterDL')
    .post('/api/v1/residents', {
      idNumber,
      name,
      phone,
      town: opts.town ?? '大良街道',
      ...(guardian ? { guardian } : {}),
    })
    .expect(201);
  return { id: res.body.id, idNumber, name, phone, birthDate, ...(guardian ? { guardian } : {}) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;

export async function applyFor(
  resident: { id: string },
  body: { cardType?: 'B' | 'C_NAMED'; bank?: string; centre?: string; payment?: object } = {},
): Promise<Body> {
  const res = await api('counterDL')
    .post('/api/v1/applications', { residentId: resident.id, cardType: 'C_NAMED', centre: 'DL', ...body })
    .expect(201);
  return res.body;
}

/** Starts a production run through the API and waits for the real worker to finish it. */
export async function produce(
  body: { centre?: string; limit?: number } = {},
): Promise<{ runId: string; produced: number }> {
  const started = await api('admin').post('/api/v1/production-runs', body).expect(202);
  return waitForRun(started.body.runId as string);
}

export async function waitForRun(
  runId: string,
): Promise<{ runId: string; produced: number; status: string }> {
  for (let i = 0; i < 300; i++) {
    const res = await api('admin').get(`/api/v1/production-runs/${runId}`).expect(200);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`production run ${runId} did not finish`);
}

/** A resident with a collected card of the given type. */
export async function residentWithActiveCard(
  opts: ResidentOptions & { cardType?: 'B' | 'C_NAMED'; bank?: string } = {},
) {
  const resident = await registerResident(opts);
  const application = await applyFor(resident, { cardType: opts.cardType ?? 'C_NAMED', bank: opts.bank });
  await produce();
  const pickup = await api('counterDL')
    .post('/api/v1/pickups', {
      receiptNo: application.receipt.receiptNo,
      idNumber: resident.idNumber,
      ...(resident.guardian ? { agent: resident.guardian } : {}),
    })
    .expect(200);
  return { resident, application, cardNo: pickup.body.card.cardNo as string };
}

export async function auditEvents(entityType: string, entityId: string) {
  const res = await api('auditor')
    .get(`/api/v1/audit-events?entityType=${entityType}&entityId=${encodeURIComponent(entityId)}`)
    .expect(200);
  return res.body.items as Array<{
    action: string;
    before: unknown;
    after: unknown;
    actor: Record<string, unknown>;
    channel: string;
    requestId: string;
  }>;
}
