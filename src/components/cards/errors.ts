import { defineErrors } from '../../platform/errors';

export const CardErrors = defineErrors({
  CARD_NOT_FOUND: { kind: 'not_found', title: '未找到该卡' },
});
