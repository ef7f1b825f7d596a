import { defineErrors } from '../../platform/errors';

export const FunctionErrors = defineErrors({
  FUNCTION_NOT_FOUND: { kind: 'not_found', title: '没有这项功能' },
  FUNCTION_NOT_AVAILABLE: { kind: 'conflict', title: '该功能尚未开通，敬请期待' },
  FUNCTION_NOT_ALLOWED: { kind: 'conflict', title: '该卡类型不能开通此功能' },
  AGE_RESTRICTED: { kind: 'invalid', title: '持卡人年龄不符合该功能的要求' },
});
