import { isoDay as day, Joi, listQuery } from '../../platform/validation';
const town = Joi.string().trim().min(1).max(20);

export const teamBody = Joi.object({
  name: Joi.string().trim().min(1).max(60).required(),
  town: town.required(),
});

export const teamParams = Joi.object({ id: Joi.string().max(64).required() });

export const letterBody = Joi.object({
  area: Joi.alternatives().try(Joi.string().valid('ALL'), Joi.array().items(town).min(1).max(20)).required(),
  validFrom: day.required(),
  validUntil: day.required(),
});

export const letterParams = Joi.object({ authorisationNo: Joi.string().trim().max(16).required() });

export const publicCheckQuery = Joi.object({ code: Joi.string().trim().min(1).max(16).required() });

export const batchParams = Joi.object({ batchId: Joi.string().max(64).required() });

export const listBatchesQuery = Joi.object({
  status: Joi.string().valid('queued', 'processing', 'completed', 'failed'),
  ...listQuery,
});

export const pageQuery = Joi.object({ ...listQuery });
