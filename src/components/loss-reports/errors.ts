import { defineErrors } from '../../platform/errors';

export const LossReportErrors = defineErrors({
  ALREADY_REPORTED: { kind: 'conflict', title: '该卡已挂失' },
  ANONYMOUS_CARD_NOT_REPORTABLE: { kind: 'conflict', title: '不记名卡不能挂失' },
  LOSS_REPORT_FORMAL: { kind: 'conflict', title: '正式挂失不能解挂，请办理补卡' },
  NOT_REPORTED: { kind: 'conflict', title: '该卡没有临时挂失，无需解挂' },
  IDENTITY_MISMATCH: { kind: 'invalid', title: '身份信息与持卡人记录不符' },
});
