import { defineErrors } from '../../platform/errors';

export const CardErrors = defineErrors({
  CARD_NOT_FOUND: { kind: 'not_found', title: '未找到该卡' },
  WRONG_CENTRE: { kind: 'conflict', title: '不记名卡只能在本服务中心现场发放' },
});
