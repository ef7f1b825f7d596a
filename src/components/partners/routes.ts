import { operators, route } from '../../platform/routes';
import { Joi, listQuery, periodBound } from '../../platform/validation';
import { cardParams } from '../cards';
import { SCOPES, type PartnersService, type Scope } from './service';

const partnerParams = Joi.object({ partnerId: Joi.string().max(64).required() });
export const HOTLIST_MAX_PAGE = 500;

interface AccessLogQuery {
  partnerId?: string;
  cardNo?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

export function partnerRoutes(partners: PartnersService) {
  return [
    route<{ name: string; department: string; scopes: Scope[] }>({
      method: 'post',
      path: '/partners',
      summary: '登记合作单位的应用（返回一次性显示的密钥）',
      tag: 'partners',
      access: operators('admin'),
      body: Joi.object({
        name: Joi.string().trim().min(1).max(60).required(),
        department: Joi.string().trim().min(1).max(60).required(),
        scopes: Joi.array()
          .items(Joi.string().valid(...SCOPES))
          .min(1)
          .required(),
      }),
      success: 201,
      async handle({ body, ctx }, res) {
        res.status(201).json(await partners.create(body, ctx));
      },
    }),
    route<unknown, unknown, { partnerId: string }>({
      method: 'post',
      path: '/partners/:partnerId/revoke',
      summary: '停用合作单位（密钥立即失效）',
      tag: 'partners',
      access: operators('admin'),
      params: partnerParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await partners.revoke(params.partnerId, ctx));
      },
    }),
    route<unknown, unknown, { partnerId: string }>({
      method: 'post',
      path: '/partners/:partnerId/rotate',
      summary: '更换合作单位密钥（旧密钥立即失效）',
      tag: 'partners',
      access: operators('admin'),
      params: partnerParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await partners.rotate(params.partnerId, ctx));
      },
    }),
    route<unknown, unknown, { cardNo: string }>({
      method: 'get',
      path: '/partner/cards/:cardNo',
      summary: '合作单位查询卡片是否可用及已开通功能（不含个人信息）',
      tag: 'partner',
      access: { kind: 'partner', scope: 'card.read' },
      params: cardParams,
      success: 200,
      async handle({ params }, res) {
        res.json(await partners.cardStatus(params.cardNo));
      },
    }),
    route<unknown, { after: string; limit: number }>({
      method: 'get',
      path: '/partner/hotlist',
      summary: '离线终端按序号拉取卡片可用状态变化（黑白名单）',
      tag: 'partner',
      access: { kind: 'partner', scope: 'hotlist.read' },
      query: Joi.object({
        // a cursor is a string of digits (a BIGINT): never read as a float
        after: Joi.string()
          .pattern(/^\d{1,20}$/)
          .default('0'),
        limit: Joi.number().integer().min(1).max(HOTLIST_MAX_PAGE).default(100),
      }),
      success: 200,
      async handle({ query }, res) {
        res.json(await partners.hotlist(query.after, query.limit));
      },
    }),
    route<unknown, AccessLogQuery>({
      method: 'get',
      path: '/access-logs',
      summary: '查询合作单位访问记录',
      tag: 'partners',
      access: operators('admin', 'auditor'),
      query: Joi.object({
        partnerId: Joi.string().max(64),
        cardNo: Joi.string().max(32),
        from: periodBound('from'),
        to: periodBound('to'),
        ...listQuery,
      }),
      success: 200,
      async handle({ query }, res) {
        res.json(await partners.accessLogs(query));
      },
    }),
    route<unknown, { cursor?: string; limit: number }, { cardNo: string }>({
      method: 'get',
      path: '/cards/:cardNo/access-log',
      summary: '向持卡人展示哪些合作单位读取过这张卡',
      tag: 'cards',
      // the call centre reads cards for callers, and a holder may ask on the phone who read theirs
      access: operators('counter', 'call_center', 'admin', 'auditor'),
      params: cardParams,
      query: Joi.object(listQuery),
      success: 200,
      async handle({ params, query }, res) {
        res.json(await partners.cardAccessLog(params.cardNo, query));
      },
    }),
  ];
}
