import { defineErrors } from '../../platform/errors';

export const ResidentErrors = defineErrors({
  RESIDENT_NOT_FOUND: { kind: 'not_found', title: '未找到该居民' },
  RESIDENT_CONFLICT: { kind: 'conflict', title: '该身份号码已登记为另一姓名' },
  BIRTHDATE_MISMATCH: { kind: 'invalid', title: '出生日期与公民身份号码不一致' },
  GENDER_MISMATCH: { kind: 'invalid', title: '性别与公民身份号码不一致' },
});
