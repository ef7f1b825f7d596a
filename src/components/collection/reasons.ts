/**
 * Why a row of a collection batch was rejected (domain.md, "Data collection"), with the explanation the
 * team reads in the downloadable report. RESIDENT_CONFLICT is the counter's rule for a known identity
 * number under another name, applied to batches as well.
 */
export const REASONS = {
  ID_FORMAT: '公民身份号码应为18位（最后一位可为X）；以数字格式保存的号码已丢失位数，请设为文本后重新录入',
  ID_CHECKSUM: '公民身份号码校验位不正确',
  ID_BIRTHDATE: '公民身份号码中的出生日期不存在或在将来',
  BIRTHDATE_MISMATCH: '出生日期与公民身份号码不一致',
  GENDER_MISMATCH: '性别与公民身份号码不一致',
  NAME_MISSING: '姓名不能为空',
  NAME_TOO_LONG: '姓名不能超过50个字',
  NAME_INVALID: '姓名只能包含文字、间隔号“·”和空格',
  PHONE_INVALID: '联系电话应为手机号码或0757开头的固定电话',
  CARD_TYPE_INVALID: '申领卡类型应为“B卡”或“记名C卡”',
  BANK_MISSING: 'B卡须填写一家合作银行',
  BANK_UNKNOWN: '该银行不是市民卡合作银行',
  B_CARD_UNDERAGE: '采集时未满16周岁，不能申领带金融功能的B卡',
  GUARDIAN_MISSING: '采集时未满16周岁，须填写监护人姓名和有效的监护人身份号码',
  DUPLICATE_IN_BATCH: '同一人已在本批次前面的行中采集并受理',
  RESIDENT_CONFLICT: '该公民身份号码已登记为另一姓名',
  NAMED_CARD_EXISTS: '该居民已有记名卡或正在申领中，每人只能办理一张记名卡',
  OUT_OF_AREA: '镇街不在授权书的采集范围内',
  OUTSIDE_AUTHORISATION_PERIOD: '采集日期不在授权书的有效期内',
} as const;

export type ReasonCode = keyof typeof REASONS;

export function reasonText(code: string): string {
  return (REASONS as Record<string, string>)[code] ?? code;
}
