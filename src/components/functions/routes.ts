import { pageOf } from '../../platform/pagination';
import { operators, route } from '../../platform/routes';
import { Joi, listQuery } from '../../platform/validation';
import type { FunctionsService } from './service';

const functionParams = Joi.object({ code: Joi.string().max(20).required() });
const cardFunctionParams = Joi.object({
  cardNo: Joi.string().max(32).required(),
  code: Joi.string().max(20).required(),
});

export function functionRoutes(functions: FunctionsService) {
  const availability = (to: 'open' | 'planned', path: string, summary: string) =>
    route<unknown, unknown, { code: string }>({
      method: 'post',
      path,
      summary,
      tag: 'functions',
      access: operators('admin'),
      params: functionParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await functions.setAvailability(params.code, to, ctx));
      },
    });
  const cardSwitch = (to: 'activate' | 'deactivate', summary: string) =>
    route<unknown, unknown, { cardNo: string; code: string }>({
      method: 'post',
      path: `/cards/:cardNo/functions/:code/${to}`,
      summary,
      tag: 'functions',
      access: operators('counter'),
      params: cardFunctionParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await functions[to](params.cardNo, params.code, ctx));
      },
    });
  return [
    route<unknown, { limit: number; cursor?: string }>({
      method: 'get',
      path: '/functions',
      summary: '功能目录（金融、医疗、社保查询、公共自行车、图书馆、公共停车）',
      tag: 'functions',
      access: operators('counter', 'call_center', 'admin', 'auditor'),
      query: Joi.object(listQuery),
      success: 200,
      async handle({ query }, res) {
        res.json(pageOf(await functions.catalogue(), query));
      },
    }),
    availability('open', '/functions/:code/open', '开放一项计划中的功能'),
    availability('planned', '/functions/:code/close', '关闭一项功能（恢复为计划中）'),
    cardSwitch('activate', '为卡片开通功能'),
    cardSwitch('deactivate', '为卡片关闭功能'),
  ];
}
