import { operators, route } from '../../platform/routes';
import { Joi } from '../../platform/validation';
import type { PaymentTendered } from '../fees';
import type { CardsService } from './service';

export const cardParams = Joi.object({ cardNo: Joi.string().max(32).required() });

const payment = Joi.object({
  amountFen: Joi.number().integer().strict().min(0).max(100000000).required(),
  method: Joi.string().valid('cash', 'unionpay', 'wechat', 'alipay').required(),
});

export function cardRoutes(cards: CardsService) {
  return [
    route<unknown, unknown, { cardNo: string }>({
      method: 'get',
      path: '/cards/:cardNo',
      summary: '查看卡片（持卡人信息已脱敏）',
      tag: 'cards',
      access: operators('counter', 'call_center'),
      params: cardParams,
      success: 200,
      async handle({ params }, res) {
        res.json(await cards.get(params.cardNo));
      },
    }),
    route<{ quantity: number; centre: string; payment?: PaymentTendered }>({
      method: 'post',
      path: '/anonymous-cards',
      summary: '现场发放不记名C卡',
      tag: 'cards',
      access: operators('counter'),
      body: Joi.object({
        quantity: Joi.number().integer().strict().min(1).max(50).required(),
        centre: Joi.string().trim().min(1).max(10).required(),
        payment,
      }),
      success: 201,
      async handle({ body, ctx }, res) {
        res.status(201).json(await cards.issueAnonymous(body, ctx));
      },
    }),
  ];
}
