// Counter work.

import { idCheckCharacter } from '../../src/components/residents';
import { addDays } from '../../src/platform/dates';
import { COUNTER_PATIENCE_MS, describe, must, persist, responseLost, type Counters } from './client';
import { countsOf, residentsWithHashes, scalar, type Findings } from './findings';
import { settleRuns } from './production';
import type { System } from './system';

interface Person {
  idNumber: string;
  name: string;
  phone: string;
}

let people = 0;

/** Region 440699 is one the generator never uses, so counter people and batch people never meet. */
function newPerson(): Person {
  const n = people++;
  const birth = addDays('1950-01-01', n % 15000).replaceAll('-', '');
  const first17 = `440699${birth}${String(Math.floor(n / 15000) * 2 + 1).padStart(3, '0')}`;
  return {
    idNumber: first17 + idCheckCharacter(first17),
    name: '梁嘉欣',
    phone: `139${String(n).padStart(8, '0')}`,
  };
}

interface CounterLog {
  residents: Array<{ residentId: string; person: Person }>;
  applications: Array<{ residentId: string; applicationNo: string; receiptNo: string }>;
  unresolvedRegistrations: number;
  unresolvedApplications: number;
  unanswered: string[];
  unexpected: string[];
}

export function counterLog(): CounterLog {
  return {
    residents: [],
    applications: [],
    unresolvedRegistrations: 0,
    unresolvedApplications: 0,
    unanswered: [],
    unexpected: [],
  };
}

/** A walk-in: register the resident, then apply for a named C card, each with its own Idempotency-Key. */
export async function registerAndApply(
  c: Counters,
  bases: readonly string[],
  token: string,
  log: CounterLog,
  key: string,
): Promise<void> {
  const person = newPerson();
  const reg = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: '/residents',
      token,
      key: `${key}-resident`,
      json: { idNumber: person.idNumber, name: person.name, phone: person.phone, town: '大良街道' },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!reg.settled) {
    log.unresolvedRegistrations += 1;
    log.unanswered.push(`POST /residents (${key}): last ${describe(reg.last)}`);
    return;
  }
  let residentId: string;
  if (responseLost(reg.reply)) {
    // it committed but its answer was lost: a careful client looks the result up instead of asking again
    const found = await must<{ id: string }>(c, bases, {
      method: 'POST',
      url: '/residents/lookup',
      token,
      json: { idNumber: person.idNumber },
    });
    residentId = found.id;
  } else if (reg.reply.status === 201 || reg.reply.status === 200) {
    residentId = reg.reply.body.id as string;
  } else {
    log.unexpected.push(`POST /residents (${key}): ${describe(reg.reply)}`);
    return;
  }
  log.residents.push({ residentId, person });
  const app = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: '/applications',
      token,
      key: `${key}-apply`,
      json: { residentId, cardType: 'C_NAMED', centre: 'DL' },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!app.settled) {
    log.unresolvedApplications += 1;
    log.unanswered.push(`POST /applications (${key}): last ${describe(app.last)}`);
    return;
  }
  let body: { applicationNo: string; receipt: { receiptNo: string } };
  if (responseLost(app.reply)) {
    const resident = await must<{ applications: Array<{ applicationNo: string }> }>(c, bases, {
      method: 'GET',
      url: `/residents/${residentId}`,
      token,
    });
    const made = resident.applications[0];
    if (!made) {
      log.unexpected.push(`POST /applications (${key}): answer lost, yet the resident has no application`);
      return;
    }
    body = await must(c, bases, { method: 'GET', url: `/applications/${made.applicationNo}`, token });
  } else if (app.reply.status === 201) {
    body = app.reply.body as typeof body;
  } else {
    log.unexpected.push(`POST /applications (${key}): ${describe(app.reply)}`);
    return;
  }
  log.applications.push({ residentId, applicationNo: body.applicationNo, receiptNo: body.receipt.receiptNo });
}

/**
 * Every acknowledged resident and application is there once, with its receipt and audit event; no
 * resident has two applications; the totals lie between what was acknowledged and that plus what was
 * sent but never answered (such a write may or may not have committed).
 */
export async function checkCounterLog(
  sys: System,
  f: Findings,
  label: string,
  log: CounterLog,
  others: { residents: number; applications: number },
): Promise<void> {
  const db = sys.db;
  const residentIds = log.residents.map((r) => r.residentId);
  f.eachOnce(
    `${label}: acknowledged residents`,
    residentIds,
    await countsOf(db, 'residents', 'public_id', residentIds),
  );
  f.count(
    `${label}: acknowledged residents by identity number`,
    await residentsWithHashes(
      db,
      log.residents.map((r) => sys.vault.lookupHash(r.person.idNumber)),
    ),
    log.residents.length,
  );
  f.eachOnce(
    `${label}: audit resident.registered`,
    residentIds,
    await countsOf(db, 'audit_events', 'entity_id', residentIds, { action: 'resident.registered' }),
  );
  const appNos = log.applications.map((a) => a.applicationNo);
  f.eachOnce(
    `${label}: acknowledged applications`,
    appNos,
    await countsOf(db, 'applications', 'application_no', appNos),
  );
  const receiptNos = log.applications.map((a) => a.receiptNo);
  f.eachOnce(
    `${label}: acknowledged receipts`,
    receiptNos,
    await countsOf(db, 'receipts', 'receipt_no', receiptNos),
  );
  f.eachOnce(
    `${label}: audit application.submitted`,
    appNos,
    await countsOf(db, 'audit_events', 'entity_id', appNos, { action: 'application.submitted' }),
  );
  let twice = 0;
  for (let i = 0; i < residentIds.length; i += 1000) {
    const rows = (await db('residents as r')
      .join('applications as a', 'a.resident_id', 'r.id')
      .whereIn('r.public_id', residentIds.slice(i, i + 1000))
      .groupBy('r.id')
      .select('r.id')
      .count({ n: '*' })) as Array<{ n: number | string }>;
    twice += rows.reduce((s, r) => s + Math.max(0, Number(r.n) - 1), 0);
  }
  f.count(`${label}: applications beyond one per resident`, twice, 0);
  const [residents, applications, receiptsMissing] = [
    await scalar(db, 'SELECT COUNT(*) AS n FROM residents'),
    await scalar(db, 'SELECT COUNT(*) AS n FROM applications WHERE batch_id IS NULL'),
    await scalar(
      db,
      'SELECT COUNT(*) AS n FROM applications a LEFT JOIN receipts r ON r.application_id = a.id WHERE r.receipt_no IS NULL',
    ),
  ];
  f.between(
    `${label}: residents in all`,
    residents,
    others.residents + log.residents.length,
    others.residents + log.residents.length + log.unresolvedRegistrations,
  );
  f.between(
    `${label}: counter applications in all`,
    applications,
    others.applications + log.applications.length,
    others.applications + log.applications.length + log.unresolvedApplications,
  );
  f.count(`${label}: applications without a receipt`, receiptsMissing, 0);
  for (const u of log.unanswered.slice(0, 5))
    f.problem(`${label}: never answered within ${COUNTER_PATIENCE_MS / 1000} s: ${u}`);
  if (log.unanswered.length > 5) f.problem(`${label}: … ${log.unanswered.length - 5} more never answered`);
  for (const u of log.unexpected.slice(0, 5)) f.problem(`${label}: unexpected answer: ${u}`);
  if (log.unexpected.length > 5)
    f.problem(`${label}: … ${log.unexpected.length - 5} more unexpected answers`);
}

interface Holder {
  person: Person;
  cardNo: string;
  reports: string[];
  lifts: number;
  unresolvedReports: number;
  unresolvedLifts: number;
  halted?: string;
}

/** Collected named cards to report lost: registered, applied for, produced and picked up. */
export async function issueCards(
  c: Counters,
  bases: readonly string[],
  counter: string,
  admin: string,
  n: number,
): Promise<Holder[]> {
  const pending: Array<{ person: Person; receiptNo: string }> = [];
  for (let i = 0; i < n; i++) {
    const person = newPerson();
    const r = await must<{ id: string }>(c, bases, {
      method: 'POST',
      url: '/residents',
      token: counter,
      json: { idNumber: person.idNumber, name: person.name, phone: person.phone, town: '大良街道' },
    });
    const a = await must<{ receipt: { receiptNo: string } }>(c, bases, {
      method: 'POST',
      url: '/applications',
      token: counter,
      json: { residentId: r.id, cardType: 'C_NAMED', centre: 'DL' },
    });
    pending.push({ person, receiptNo: a.receipt.receiptNo });
  }
  const started = await must<{ runId: string }>(c, bases, {
    method: 'POST',
    url: '/production-runs',
    token: admin,
    json: {},
  });
  await settleRuns(c, bases, admin, [started.runId], Date.now() + 60_000);
  const holders: Holder[] = [];
  for (const p of pending) {
    const picked = await must<{ card: { cardNo: string } }>(c, bases, {
      method: 'POST',
      url: '/pickups',
      token: counter,
      json: { receiptNo: p.receiptNo, idNumber: p.person.idNumber },
    });
    holders.push({
      person: p.person,
      cardNo: picked.card.cardNo,
      reports: [],
      lifts: 0,
      unresolvedReports: 0,
      unresolvedLifts: 0,
    });
  }
  return holders;
}

/** The holder phones the call centre (temporary report), then finds the card and has it lifted at a counter. */
export async function lossAndLift(
  c: Counters,
  bases: readonly string[],
  callCentre: string,
  counter: string,
  h: Holder,
  i: number,
): Promise<void> {
  const report = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: `/cards/${h.cardNo}/loss-reports`,
      token: callCentre,
      key: `loss-${h.cardNo}-${i}`,
      json: { kind: 'temporary', verification: { name: h.person.name, idNumber: h.person.idNumber } },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!report.settled) {
    h.unresolvedReports += 1;
    h.halted = `loss report ${i} never answered within ${COUNTER_PATIENCE_MS / 1000} s: last ${describe(report.last)}`;
    return;
  }
  if (responseLost(report.reply)) {
    // the report was filed but its id went with the answer: the card says so, the count allows for it
    await expectCardStatus(c, bases, callCentre, h, 'temp_lost', `loss report ${i}`);
    h.unresolvedReports += 1;
  } else if (report.reply.status !== 201) {
    h.halted = `loss report ${i}: unexpected ${describe(report.reply)}`;
    return;
  } else {
    h.reports.push(report.reply.body.reportId as string);
  }
  if (h.halted) return;
  const lift = await persist(
    c,
    bases,
    {
      method: 'POST',
      url: `/cards/${h.cardNo}/lift-loss`,
      token: counter,
      key: `lift-${h.cardNo}-${i}`,
      json: { verification: { idNumber: h.person.idNumber } },
    },
    COUNTER_PATIENCE_MS,
  );
  if (!lift.settled) {
    h.unresolvedLifts += 1;
    h.halted = `lift ${i} never answered within ${COUNTER_PATIENCE_MS / 1000} s: last ${describe(lift.last)}`;
    return;
  }
  if (responseLost(lift.reply)) {
    await expectCardStatus(c, bases, counter, h, 'active', `lift ${i}`);
    h.unresolvedLifts += 1;
    return;
  }
  if (lift.reply.status !== 200) {
    h.halted = `lift ${i}: unexpected ${describe(lift.reply)}`;
    return;
  }
  h.lifts += 1;
}

async function expectCardStatus(
  c: Counters,
  bases: readonly string[],
  token: string,
  h: Holder,
  status: string,
  what: string,
): Promise<void> {
  const card = await must<{ status: string }>(c, bases, { method: 'GET', url: `/cards/${h.cardNo}`, token });
  if (card.status !== status) h.halted = `${what}: answer lost and the card is ${card.status}, not ${status}`;
}

/** Per card: reports and lifts as acknowledged, one audit event each, one hotlist entry per change. */
export async function checkHolders(
  sys: System,
  f: Findings,
  label: string,
  holders: readonly Holder[],
): Promise<void> {
  const db = sys.db;
  const reportIds = holders.flatMap((h) => h.reports);
  f.eachOnce(
    `${label}: acknowledged loss reports`,
    reportIds,
    await countsOf(db, 'loss_reports', 'report_id', reportIds),
  );
  for (const h of holders) {
    const reports = await scalar(
      db,
      "SELECT COUNT(*) AS n FROM loss_reports l JOIN cards c ON c.id = l.card_id WHERE c.card_no = ? AND l.kind = 'temporary'",
      [h.cardNo],
    );
    const lifted = await scalar(
      db,
      "SELECT COUNT(*) AS n FROM loss_reports l JOIN cards c ON c.id = l.card_id WHERE c.card_no = ? AND l.status = 'lifted'",
      [h.cardNo],
    );
    const audit = (action: string) =>
      scalar(db, 'SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND entity_id = ?', [
        action,
        h.cardNo,
      ]);
    f.between(
      `${label}: card ${h.cardNo} temporary reports`,
      reports,
      h.reports.length,
      h.reports.length + h.unresolvedReports,
    );
    f.between(`${label}: card ${h.cardNo} lifts`, lifted, h.lifts, h.lifts + h.unresolvedLifts);
    f.count(
      `${label}: card ${h.cardNo} audit card.reported_temporary`,
      await audit('card.reported_temporary'),
      reports,
    );
    f.count(`${label}: card ${h.cardNo} audit card.loss_lifted`, await audit('card.loss_lifted'), lifted);
    // collected, then one entry per report and per lift
    f.count(
      `${label}: card ${h.cardNo} hotlist entries`,
      await scalar(db, 'SELECT COUNT(*) AS n FROM hotlist WHERE card_no = ?', [h.cardNo]),
      1 + reports + lifted,
    );
    if (h.halted) f.problem(`${label}: card ${h.cardNo}: ${h.halted}`);
  }
}
