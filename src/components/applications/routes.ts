import { operators, route } from '../../platform/routes';
import type { ApplyInput, ApplicationsService } from './service';
import type { PickupInput, PickupService } from './pickup';
import type { ExchangeReason, ReplacementsService } from './replacements';
import type { PaymentTendered } from '../fees';
import { cardParams } from '../cards';
import { Joi } from '../../platform/validation';
import {
  applicationParams,
  applyBody,
  listApplicationsQuery,
  payment,
  pickupBody,
  receiptParams,
} from './schemas';

export function applicationRoutes(
  applications: ApplicationsService,
  pickups: PickupService,
  replacements: ReplacementsService,
) {
  return [
    route<ApplyInput>({
      method: 'post',
      path: '/applications',
      summary: '申领记名卡（B卡或记名C卡），出具领卡回执',
      tag: 'applications',
      access: operators('counter'),
      body: applyBody,
      success: 201,
      async handle({ body, ctx }, res) {
        res.status(201).json(await applications.apply({ ...body, bank: body.bank || undefined }, ctx));
      },
    }),
    route<unknown, { status?: string; centre?: string; cursor?: string; limit: number }>({
      method: 'get',
      path: '/applications',
      summary: '按状态和服务中心列出申领',
      tag: 'applications',
      access: operators('counter', 'admin'),
      query: listApplicationsQuery,
      success: 200,
      async handle({ query }, res) {
        res.json(await applications.list(query));
      },
    }),
    route<unknown, unknown, { applicationNo: string }>({
      method: 'get',
      path: '/applications/:applicationNo',
      summary: '查看申领',
      tag: 'applications',
      access: operators('counter', 'admin'),
      params: applicationParams,
      success: 200,
      async handle({ params }, res) {
        res.json(await applications.get(params.applicationNo));
      },
    }),
    route<unknown, unknown, { applicationNo: string }>({
      method: 'post',
      path: '/applications/:applicationNo/cancel',
      summary: '撤销尚未制卡的申领（已收费用记为退款）',
      tag: 'applications',
      access: operators('counter'),
      params: applicationParams,
      success: 200,
      async handle({ params, ctx }, res) {
        res.json(await applications.cancel(params.applicationNo, ctx));
      },
    }),
    route<unknown, unknown, { receiptNo: string }>({
      method: 'get',
      path: '/receipts/:receiptNo',
      summary: '补打领卡回执',
      tag: 'applications',
      access: operators('counter'),
      params: receiptParams,
      success: 200,
      async handle({ params }, res) {
        res.json(await applications.byReceipt(params.receiptNo));
      },
    }),
    route<PickupInput>({
      method: 'post',
      path: '/pickups',
      summary: '凭领卡回执和身份证领卡（可代领、监护人领）',
      tag: 'applications',
      access: operators('counter'),
      body: pickupBody,
      success: 200,
      async handle({ body, ctx }, res) {
        res.json(await pickups.collect(body, ctx));
      },
    }),
    route<{ payment: PaymentTendered }, unknown, { cardNo: string }>({
      method: 'post',
      path: '/cards/:cardNo/replacement',
      summary: '补卡（需要时同时办理正式挂失），按收费标准收费',
      tag: 'cards',
      access: operators('counter'),
      params: cardParams,
      body: Joi.object({ payment: payment.required() }),
      success: 201,
      async handle({ params, body, ctx }, res) {
        res.status(201).json(await replacements.replace(params.cardNo, body, ctx));
      },
    }),
    route<
      { reason: ExchangeReason; waiver?: { reason: string }; payment?: PaymentTendered },
      unknown,
      { cardNo: string }
    >({
      method: 'post',
      path: '/cards/:cardNo/exchange',
      summary: '换卡（损坏、到期、信息变更），质量问题两年内可免费',
      tag: 'cards',
      access: operators('counter'),
      params: cardParams,
      body: Joi.object({
        reason: Joi.string().valid('damaged', 'expired', 'info_changed').required(),
        waiver: Joi.object({ reason: Joi.string().trim().min(1).max(200).required() }),
        payment,
      }),
      success: 201,
      async handle({ params, body, ctx }, res) {
        res.status(201).json(await replacements.exchange(params.cardNo, body, ctx));
      },
    }),
  ];
}
