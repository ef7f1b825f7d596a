import type { Knex } from 'knex';

/**
 * Reference data from domain.md. Safe to run any number of times: rows are upserted by their natural
 * keys, and a fee row is added only when the same item, day and document are not there yet.
 */
export const SERVICE_CENTRES = [
  { code: 'DL', name: '大良', status: 'open' },
  { code: 'RG', name: '容桂', status: 'open' },
  { code: 'LC', name: '乐从', status: 'open' },
  { code: 'BJ', name: '北滘', status: 'planned' },
  { code: 'CC', name: '陈村', status: 'planned' },
  { code: 'LJ', name: '龙江', status: 'planned' },
  { code: 'JA', name: '均安', status: 'planned' },
  { code: 'XT', name: '杏坛', status: 'planned' },
  { code: 'LL', name: '勒流', status: 'planned' },
  { code: 'LN', name: '伦教', status: 'planned' },
];

export const TOWNS = [
  { name: '大良街道', default_centre: 'DL' },
  { name: '伦教街道', default_centre: 'DL' },
  { name: '勒流街道', default_centre: 'DL' },
  { name: '容桂街道', default_centre: 'RG' },
  { name: '均安镇', default_centre: 'RG' },
  { name: '杏坛镇', default_centre: 'RG' },
  { name: '乐从镇', default_centre: 'LC' },
  { name: '龙江镇', default_centre: 'LC' },
  { name: '北滘镇', default_centre: 'LC' },
  { name: '陈村镇', default_centre: 'LC' },
];

export const BANKS = ['顺德农商银行', '中国工商银行', '中国建设银行', '中国农业银行', '中国银行', '广发银行'];

export const FUNCTIONS = [
  { code: 'financial', name: '金融', scope: 'nationwide', card_types: 'B', availability: 'open' },
  { code: 'medical', name: '医疗', scope: 'local', card_types: 'B,C_NAMED', availability: 'open' },
  {
    code: 'social_security',
    name: '社保查询',
    scope: 'local',
    card_types: 'B,C_NAMED',
    availability: 'open',
  },
  {
    code: 'bicycle',
    name: '公共自行车',
    scope: 'local',
    card_types: 'B,C_NAMED,C_ANON',
    availability: 'open',
  },
  {
    code: 'library',
    name: '图书馆',
    scope: 'local',
    card_types: 'B,C_NAMED,C_ANON',
    availability: 'planned',
  },
  {
    code: 'parking',
    name: '公共停车',
    scope: 'local',
    card_types: 'B,C_NAMED,C_ANON',
    availability: 'planned',
  },
];

// The default schedule; the document number names where the amounts come from until the price
// bureau's own notice is entered through POST /fee-schedule.
export const DEFAULT_FEES = [
  {
    item: 'replacement',
    amount_fen: 2000,
    effective_from: '2012-01-01',
    document_no: '顺价〔2012〕默认收费标准',
  },
  {
    item: 'exchange',
    amount_fen: 2000,
    effective_from: '2012-01-01',
    document_no: '顺价〔2012〕默认收费标准',
  },
  {
    item: 'anonymous_issue',
    amount_fen: 0,
    effective_from: '2012-01-01',
    document_no: '顺价〔2012〕默认收费标准',
  },
];

// Public holidays and make-up working days by the State Council's notice for 2026 (国办发明电〔2025〕).
// Add each year's notice here (or straight into calendar_days) when it is published.
const HOLIDAYS_2026: Array<[string, string, string]> = [
  ['2026-01-01', '2026-01-03', '元旦'],
  ['2026-02-15', '2026-02-23', '春节'],
  ['2026-04-04', '2026-04-06', '清明节'],
  ['2026-05-01', '2026-05-05', '劳动节'],
  ['2026-06-19', '2026-06-21', '端午节'],
  ['2026-09-25', '2026-09-27', '中秋节'],
  ['2026-10-01', '2026-10-07', '国庆节'],
  ['2027-01-01', '2027-01-01', '元旦'],
];
const MAKE_UP_WORKDAYS_2026: Array<[string, string]> = [
  ['2026-01-04', '元旦调休上班'],
  ['2026-02-14', '春节调休上班'],
  ['2026-02-28', '春节调休上班'],
  ['2026-05-09', '劳动节调休上班'],
  ['2026-09-20', '国庆节调休上班'],
  ['2026-10-10', '国庆节调休上班'],
];

export function calendarRows(): Array<{ day: string; kind: string; note: string }> {
  const rows: Array<{ day: string; kind: string; note: string }> = [];
  for (const [from, to, note] of HOLIDAYS_2026) {
    for (
      let d = new Date(`${from}T00:00:00Z`);
      d <= new Date(`${to}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 1)
    ) {
      rows.push({ day: d.toISOString().slice(0, 10), kind: 'holiday', note });
    }
  }
  for (const [day, note] of MAKE_UP_WORKDAYS_2026) rows.push({ day, kind: 'workday', note });
  return rows;
}

export async function seed(knex: Knex): Promise<void> {
  await knex('service_centres').insert(SERVICE_CENTRES).onConflict('code').merge(['name']);
  await knex('towns').insert(TOWNS).onConflict('name').ignore();
  await knex('banks')
    .insert(BANKS.map((name, i) => ({ name, sort_order: i + 1 })))
    .onConflict('name')
    .merge(['sort_order']);
  await knex('functions')
    .insert(FUNCTIONS.map((f, i) => ({ ...f, sort_order: i + 1 })))
    .onConflict('code')
    .merge(['name', 'scope', 'card_types', 'sort_order']);
  await knex('calendar_days').insert(calendarRows()).onConflict('day').ignore();
  for (const fee of DEFAULT_FEES) {
    const present = await knex('fee_schedule')
      .where({ item: fee.item, effective_from: fee.effective_from, document_no: fee.document_no })
      .first();
    if (!present) await knex('fee_schedule').insert({ ...fee, created_at: new Date() });
  }
}
