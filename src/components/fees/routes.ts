import { pageOf } from '../../platform/pagination';
import { operators, route } from '../../platform/routes';
import { isoDay, Joi, listQuery } from '../../platform/validation';
import type { FeeItem } from './repository';
import type { FeeScheduleService } from './schedule';

export function feeRoutes(schedule: FeeScheduleService) {
  return [
    route<unknown, { on?: string; limit: number; cursor?: string }>({
      method: 'get',
      path: '/fee-schedule',
      summary: '查看生效的收费标准',
      tag: 'fees',
      access: operators('counter', 'call_center', 'admin', 'auditor'),
      query: Joi.object({ on: isoDay, ...listQuery }),
      success: 200,
      async handle({ query }, res) {
        res.json(pageOf(await schedule.inForce(query.on), query));
      },
    }),
    route<{ item: FeeItem; amountFen: number; effectiveFrom: string; documentNo: string }>({
      method: 'post',
      path: '/fee-schedule',
      summary: '录入物价部门的收费标准',
      tag: 'fees',
      access: operators('admin'),
      body: Joi.object({
        item: Joi.string().valid('replacement', 'exchange', 'anonymous_issue').required(),
        amountFen: Joi.number().integer().strict().min(0).max(100000000).required(),
        effectiveFrom: isoDay.required(),
        documentNo: Joi.string().trim().min(1).max(60).required(),
      }),
      success: 201,
      async handle({ body, ctx }, res) {
        res.status(201).json(await schedule.add(body, ctx));
      },
    }),
  ];
}
