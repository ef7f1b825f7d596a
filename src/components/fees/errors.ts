import { defineErrors } from '../../platform/errors';

export const FeeErrors = defineErrors({
  FEE_MISMATCH: { kind: 'conflict', title: '收取金额与收费标准不符' },
  FEE_NOT_DEFINED: { kind: 'conflict', title: '该日期没有生效的收费标准' },
});
