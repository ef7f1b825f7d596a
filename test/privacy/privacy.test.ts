import assert from 'node:assert/strict';
import fs from 'node:fs';
import { idCheckCharacter } from '../../src/components/residents';
import { harness } from '../support/harness';
import { issuedSecrets } from '../support/builders';

// Runs after every other test file (see .mocharc.json): by now the suite has written residents,
// applications, audit events, idempotent responses, batches and logs of every kind.

// bounded by anything but letters and digits, so runs inside UUIDs and longer numbers do not count
const ID_LIKE = /(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])/g;
const MOBILE_LIKE = /(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])/g;

/** Identity numbers with a valid check character, and mobiles, that stand in clear in the text. */
function personalDataIn(text: string): string[] {
  const ids = [...text.matchAll(ID_LIKE)]
    .map((m) => m[0])
    .filter((id) => idCheckCharacter(id.slice(0, 17)) === id[17]);
  const phones = [...text.matchAll(MOBILE_LIKE)].map((m) => m[0]);
  return [...new Set([...ids, ...phones, ...knownSecretsIn(text)])];
}

/**
 * Numbers the suite issued, found even inside longer runs of digits. Every secret is a phone (11
 * characters) or an identity number (18), so sliding windows of those widths over each run of digits
 * and looking them up costs time in the text's length, not in the number of secrets the suite issued
 * (tens of thousands once the drill's batch is in).
 */
function knownSecretsIn(text: string): string[] {
  const found: string[] = [];
  for (const [run] of text.toUpperCase().matchAll(/[0-9X]{11,}/g)) {
    for (const width of [11, 18]) {
      for (let i = 0; i + width <= run.length; i++) {
        const window = run.slice(i, i + width);
        if (issuedSecrets.has(window)) found.push(window);
      }
    }
  }
  return found;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return `${value.toString('latin1')} ${value.toString('utf8')}`;
  if (value instanceof Date) return '';
  return typeof value === 'object' ? JSON.stringify(value) : `${value as string | number}`;
}

describe('personal data at rest and in logs', () => {
  it('when every table is scanned, then no identity number or phone stands in clear', async function () {
    this.timeout(120000);
    const db = harness().deps.db;
    const [tables] = (await db.raw('SHOW TABLES')) as [Array<Record<string, string>>];
    const names = tables.map((t) => Object.values(t)[0]!).filter((n) => !n.startsWith('knex_'));
    assert.ok(names.includes('residents') && names.includes('audit_events'));
    const findings: string[] = [];
    for (const table of names) {
      const stream = db(table).select('*').stream();
      for await (const row of stream as AsyncIterable<Record<string, unknown>>) {
        const text = Object.values(row).map(asText).join(' | ');
        for (const hit of personalDataIn(text)) findings.push(`${table}: ${hit.slice(0, 4)}…`);
      }
    }
    const residents = Number(
      ((await db('residents').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n,
    );
    assert.ok(residents > 10, 'the suite should have written residents before this check');
    assert.deepEqual(findings, []);
  });

  it('when the captured logs of the whole suite are read, then no identity number or phone appears', () => {
    const logFile = harness().config.logFile!;
    const text = fs.readFileSync(logFile, 'utf8');
    assert.ok(text.split('\n').length > 50, 'the suite should have logged its requests');
    assert.deepEqual(personalDataIn(text), []);
  });
});
