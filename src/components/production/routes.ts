import { operators, route } from '../../platform/routes';
import { Joi } from '../../platform/validation';
import type { ProductionService } from './service';

export function productionRoutes(production: ProductionService) {
  return [
    route<{ centre?: string; limit?: number }>({
      method: 'post',
      path: '/production-runs',
      summary: '启动制卡批次（队列任务）',
      tag: 'production',
      access: operators('admin'),
      body: Joi.object({
        centre: Joi.string().trim().min(1).max(10),
        limit: Joi.number().integer().strict().min(1).max(1000000),
      }),
      optionalBody: true,
      success: 202,
      async handle({ body, ctx }, res) {
        res.status(202).json(await production.start(body, ctx));
      },
    }),
    route<unknown, unknown, { runId: string }>({
      method: 'get',
      path: '/production-runs/:runId',
      summary: '查看制卡批次',
      tag: 'production',
      access: operators('admin'),
      params: Joi.object({ runId: Joi.string().max(64).required() }),
      success: 200,
      async handle({ params }, res) {
        res.json(await production.get(params.runId));
      },
    }),
  ];
}
