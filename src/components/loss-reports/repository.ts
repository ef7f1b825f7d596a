import type { Knex } from 'knex';
import { findOne, firstRow, runRead, type Conn, type Read, type Statement } from '../../platform/db';

export type ReportKind = 'temporary' | 'formal';
export type ReportStatus = 'open' | 'lifted' | 'lapsed' | 'superseded' | 'final' | 'closed';

export interface LossReport {
  dbId: number;
  reportId: string;
  cardDbId: number;
  kind: ReportKind;
  status: ReportStatus;
  channel: string;
  reportedAt: Date;
  expiresAt: Date | null;
}

interface Row {
  id: number | string;
  report_id: string;
  card_id: number | string;
  kind: ReportKind;
  status: ReportStatus;
  channel: string;
  reported_at: Date;
  expires_at: Date | null;
}

const fromRow = (r: Row): LossReport => ({
  dbId: Number(r.id),
  reportId: r.report_id,
  cardDbId: Number(r.card_id),
  kind: r.kind,
  status: r.status,
  channel: r.channel,
  reportedAt: r.reported_at,
  expiresAt: r.expires_at,
});

export function insertReport(
  conn: Conn,
  r: {
    reportId: string;
    cardDbId: number;
    kind: ReportKind;
    status: ReportStatus;
    channel: string;
    reportedBy: string;
    at: Date;
    expiresAt: Date | null;
  },
): Statement {
  return conn('loss_reports').insert({
    report_id: r.reportId,
    card_id: r.cardDbId,
    kind: r.kind,
    status: r.status,
    channel: r.channel,
    reported_by: r.reportedBy,
    reported_at: r.at,
    expires_at: r.expiresAt,
  });
}

/**
 * The card's open temporary report; the card may be given by row id or as a subquery giving it. It is
 * found through the unique key that allows one open temporary report per card, so a locking read locks
 * that one row and no index range shared with other cards' reports.
 */
export function openTemporaryReport(
  conn: Conn,
  cardDbId: number | Knex.QueryBuilder,
  opts: { forUpdate?: boolean } = {},
): Read<LossReport | undefined> {
  return firstRow(conn('loss_reports').where('open_temporary_card_id', cardDbId).select(), fromRow, opts);
}

export async function openTemporaryReportOf(
  conn: Conn,
  cardDbId: number,
  opts: { forUpdate?: boolean } = {},
): Promise<LossReport | undefined> {
  return runRead(openTemporaryReport(conn, cardDbId, opts));
}

export async function findReport(
  conn: Conn,
  reportId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<LossReport | undefined> {
  return findOne(conn('loss_reports').where('report_id', reportId).select(), fromRow, opts);
}

export function closeReport(conn: Conn, dbId: number, status: ReportStatus, by: string, at: Date): Statement {
  return conn('loss_reports').where('id', dbId).update({ status, closed_by: by, closed_at: at });
}

/**
 * Open temporary reports whose time is up: the sweeper's work list. Only reports whose card still
 * stands temporarily reported: one left open on a card that has moved on (which nothing writes any
 * more) cannot be lapsed, and a page full of them would stop the sweeper reaching the rest.
 */
export async function lapsedReportIds(conn: Conn, now: Date, limit: number): Promise<string[]> {
  const rows = (await conn('loss_reports as lr')
    .join('cards as c', 'c.id', 'lr.card_id')
    .where({ 'lr.status': 'open', 'lr.kind': 'temporary', 'c.status': 'temp_lost' })
    .where('lr.expires_at', '<=', now)
    .orderBy('lr.expires_at')
    .limit(limit)
    .select('lr.report_id')) as Array<{ report_id: string }>;
  return rows.map((r) => r.report_id);
}

/** Reports filed so far, by channel and kind, for the metrics endpoint. */
export async function countByChannel(
  conn: Conn,
): Promise<Array<{ channel: string; kind: string; n: number }>> {
  const rows = (await conn('loss_reports')
    .groupBy('channel', 'kind')
    .select('channel', 'kind')
    .count({ n: '*' })) as Array<{
    channel: string;
    kind: string;
    n: number | string;
  }>;
  return rows.map((r) => ({ channel: r.channel, kind: r.kind, n: Number(r.n) }));
}
