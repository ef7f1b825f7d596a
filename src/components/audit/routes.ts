import type { Db } from '../../platform/db';
import { decodeCursor, encodeCursor } from '../../platform/pagination';
import { operators, route } from '../../platform/routes';
import { Joi, listQuery, periodBound } from '../../platform/validation';
import { listEvents, type AuditRow } from './repository';

function view(r: AuditRow) {
  return {
    at: r.at.toISOString(),
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    actor:
      r.actor_operator_id === null
        ? { system: true }
        : {
            operatorId: r.actor_operator_id,
            role: r.actor_role,
            ...(r.actor_centre ? { centre: r.actor_centre } : {}),
            ...(r.actor_team ? { team: r.actor_team } : {}),
          },
    channel: r.channel,
    before: r.before_json === null ? null : (JSON.parse(r.before_json) as unknown),
    after: r.after_json === null ? null : (JSON.parse(r.after_json) as unknown),
    requestId: r.request_id,
  };
}

interface AuditQuery {
  entityType?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

export function auditRoutes(db: Db) {
  return [
    route<unknown, AuditQuery>({
      method: 'get',
      path: '/audit-events',
      summary: '查询审计记录（个人信息已脱敏）',
      tag: 'audit',
      access: operators('auditor', 'admin'),
      query: Joi.object({
        entityType: Joi.string().max(24),
        entityId: Joi.string().max(64),
        from: periodBound('from'),
        to: periodBound('to'),
        ...listQuery,
      }),
      success: 200,
      async handle({ query }, res) {
        const rows = await listEvents(db, {
          ...query,
          afterId: query.cursor ? decodeCursor(query.cursor) : undefined,
          limit: query.limit + 1,
        });
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        res.json({
          items: page.map(view),
          nextCursor: rows.length > query.limit && last ? encodeCursor(Number(last.id)) : null,
        });
      },
    }),
  ];
}
