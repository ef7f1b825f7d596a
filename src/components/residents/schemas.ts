import { isoDay, Joi } from '../../platform/validation';

const guardian = Joi.object({
  name: Joi.personName().required(),
  idNumber: Joi.idNumber().required(),
  relation: Joi.string().trim().min(1).max(20).required(),
});

export const registerResidentBody = Joi.object({
  idNumber: Joi.idNumber().required(),
  name: Joi.personName().required(),
  gender: Joi.gender(),
  birthDate: isoDay,
  ethnicity: Joi.string().trim().max(20).allow(''),
  phone: Joi.phone().required(),
  address: Joi.string().trim().max(200).allow(''),
  town: Joi.string().trim().max(20).required(),
  community: Joi.string().trim().max(50).allow(''),
  guardian,
});

export const lookupResidentBody = Joi.object({
  idNumber: Joi.idNumber().required(),
});

export const residentParams = Joi.object({
  id: Joi.string().max(64).required(),
});
