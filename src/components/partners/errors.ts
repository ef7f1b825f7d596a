import { defineErrors } from '../../platform/errors';

export const PartnerErrors = defineErrors({
  PARTNER_NOT_FOUND: { kind: 'not_found', title: '未找到该合作单位' },
});
