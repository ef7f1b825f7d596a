import { Joi, listQuery } from '../../platform/validation';

export const centreField = Joi.string().trim().min(1).max(10);

export const payment = Joi.object({
  amountFen: Joi.number().integer().strict().min(0).max(100000000).required(),
  method: Joi.string().valid('cash', 'unionpay', 'wechat', 'alipay').required(),
});

export const applyBody = Joi.object({
  residentId: Joi.string().max(64).required(),
  cardType: Joi.string().valid('B', 'C_NAMED').required(),
  // an empty bank on a C_NAMED card is what many forms send; a real bank there is a mistake
  bank: Joi.when('cardType', {
    is: 'B',
    then: Joi.string().trim().max(20).allow(''),
    otherwise: Joi.string().valid('', null),
  }),
  centre: centreField.required(),
  payment,
});

export const applicationParams = Joi.object({ applicationNo: Joi.string().max(32).required() });
export const receiptParams = Joi.object({ receiptNo: Joi.string().max(32).required() });

export const listApplicationsQuery = Joi.object({
  status: Joi.string().valid('submitted', 'in_production', 'ready', 'collected', 'cancelled', 'sealed'),
  centre: centreField,
  ...listQuery,
});

const agent = Joi.object({
  name: Joi.personName().required(),
  idNumber: Joi.idNumber().required(),
  relation: Joi.string().trim().min(1).max(20).required(),
});

export const pickupBody = Joi.object({
  receiptNo: Joi.string()
    .trim()
    .pattern(/^\d{12}$/)
    .required(),
  idNumber: Joi.idNumber().required(),
  agent,
});
