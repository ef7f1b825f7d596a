import { operators, route } from '../../platform/routes';
import { Joi } from '../../platform/validation';
import { cardParams } from '../cards';
import type { CancelReason, LossReportsService, Verification } from './service';
import type { ReportKind } from './repository';

const verification = Joi.object({
  name: Joi.personName().required(),
  idNumber: Joi.idNumber().required(),
  phone: Joi.phone(),
});

export function lossReportRoutes(lossReports: LossReportsService) {
  return [
    route<{ kind: ReportKind; verification: Verification }, unknown, { cardNo: string }>({
      method: 'post',
      path: '/cards/:cardNo/loss-reports',
      summary: '挂失：呼叫中心或柜台临时挂失，柜台正式挂失',
      tag: 'cards',
      access: operators('counter', 'call_center'),
      params: cardParams,
      body: Joi.object({
        kind: Joi.string().valid('temporary', 'formal').required(),
        verification: verification.required(),
      }),
      success: 201,
      async handle({ params, body, ctx }, res) {
        res.status(201).json(await lossReports.report(params.cardNo, body, ctx));
      },
    }),
    route<{ verification: Verification }, unknown, { cardNo: string }>({
      method: 'post',
      path: '/cards/:cardNo/lift-loss',
      summary: '解挂（仅临时挂失，柜台办理）',
      tag: 'cards',
      access: operators('counter'),
      params: cardParams,
      body: Joi.object({
        verification: Joi.object({
          idNumber: Joi.idNumber().required(),
          name: Joi.personName(),
          phone: Joi.phone(),
        }).required(),
      }),
      success: 200,
      async handle({ params, body, ctx }, res) {
        res.json(await lossReports.lift(params.cardNo, body.verification, ctx));
      },
    }),
    route<{ reason: CancelReason }, unknown, { cardNo: string }>({
      method: 'post',
      path: '/cards/:cardNo/cancel',
      summary: '注销卡片（身故、移居、重复办理、本人申请）',
      tag: 'cards',
      access: operators('counter'),
      params: cardParams,
      body: Joi.object({
        reason: Joi.string().valid('death', 'emigration', 'duplicate', 'holder_request').required(),
      }),
      success: 200,
      async handle({ params, body, ctx }, res) {
        res.json(await lossReports.cancel(params.cardNo, body.reason, ctx));
      },
    }),
  ];
}
