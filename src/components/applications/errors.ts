import { defineErrors } from '../../platform/errors';

export const ApplicationErrors = defineErrors({
  APPLICATION_NOT_FOUND: { kind: 'not_found', title: '未找到该申领' },
  RECEIPT_NOT_FOUND: { kind: 'not_found', title: '未找到该领卡回执' },
  NAMED_CARD_EXISTS: { kind: 'conflict', title: '该居民已有记名卡或正在申领中，每人只能办理一张记名卡' },
  B_CARD_UNDERAGE: { kind: 'invalid', title: '未满16周岁不能申领带金融功能的B卡' },
  BANK_MISSING: { kind: 'invalid', title: 'B卡须选择一家合作银行' },
  BANK_UNKNOWN: { kind: 'invalid', title: '该银行不是市民卡合作银行' },
  GUARDIAN_MISSING: { kind: 'invalid', title: '未满16周岁须由监护人办理，请先登记监护人' },
  IDENTITY_MISMATCH: { kind: 'invalid', title: '身份信息与记录不符' },
  AGENT_UNDERAGE: { kind: 'invalid', title: '代领人须年满18周岁' },
  GUARDIAN_REQUIRED: { kind: 'invalid', title: '未满16周岁的持卡人须由登记的监护人代领' },
  NOT_READY: { kind: 'conflict', title: '卡片尚未制作完成，请按回执上的时间领取' },
  ALREADY_COLLECTED: { kind: 'conflict', title: '该卡已被领取' },
  WRONG_CENTRE: { kind: 'conflict', title: '请到领卡回执上的服务中心领取' },
});
