import BaseJoi, { type CustomHelpers, type ErrorReport, type ObjectSchema, type ValidationError } from 'joi';
import {
  examineIdNumber,
  examineName,
  normaliseIdNumber,
  normaliseName,
  normalisePhone,
  parseGender,
} from '../components/residents/personal-data';
import { AppError, CommonErrors, type FieldError } from './errors';
import { isRealDate, localDate } from './dates';

/** Chinese messages for field-level codes; the code is what client programs switch on. */
export const FIELD_MESSAGES: Record<string, string> = {
  REQUIRED: '必填项',
  INVALID: '格式或取值不正确',
  ID_FORMAT: '公民身份号码应为18位（最后一位可为X）',
  ID_CHECKSUM: '公民身份号码校验位不正确',
  ID_BIRTHDATE: '公民身份号码中的出生日期不存在或在将来',
  NAME_MISSING: '姓名不能为空',
  NAME_TOO_LONG: '姓名不能超过50个字',
  NAME_INVALID: '姓名只能包含文字、间隔号“·”和空格',
  PHONE_INVALID: '联系电话应为手机号码或0757开头的固定电话',
  GENDER_INVALID: '性别应为男或女',
};

type Extension = BaseJoi.Extension;

const idNumberType: Extension = {
  type: 'idNumber',
  base: BaseJoi.string(),
  messages: {
    ID_FORMAT: FIELD_MESSAGES.ID_FORMAT!,
    ID_CHECKSUM: FIELD_MESSAGES.ID_CHECKSUM!,
    ID_BIRTHDATE: FIELD_MESSAGES.ID_BIRTHDATE!,
  },
  validate(value: string, helpers: CustomHelpers) {
    const normalised = normaliseIdNumber(value);
    const facts = examineIdNumber(normalised, localDate(new Date()));
    if (typeof facts === 'string') return { value, errors: helpers.error(facts) };
    return { value: normalised };
  },
};

/**
 * An empty string is this field's own error (NAME_MISSING, PHONE_INVALID), reported before joi's base
 * string checks: `allow('')` would instead accept it as a valid value and skip `validate` altogether.
 */
const emptyIs =
  (code: string) =>
  (value: unknown, helpers: CustomHelpers): { value: unknown; errors?: ReturnType<CustomHelpers['error']> } =>
    value === '' ? { value, errors: helpers.error(code) } : { value };

const personNameType: Extension = {
  type: 'personName',
  base: BaseJoi.string(),
  prepare: emptyIs('NAME_MISSING'),
  messages: {
    NAME_MISSING: FIELD_MESSAGES.NAME_MISSING!,
    NAME_TOO_LONG: FIELD_MESSAGES.NAME_TOO_LONG!,
    NAME_INVALID: FIELD_MESSAGES.NAME_INVALID!,
  },
  validate(value: string, helpers: CustomHelpers) {
    const name = normaliseName(value);
    const problem = examineName(name);
    if (problem) return { value, errors: helpers.error(problem) };
    return { value: name };
  },
};

const phoneType: Extension = {
  type: 'phone',
  base: BaseJoi.string(),
  prepare: emptyIs('PHONE_INVALID'),
  messages: { PHONE_INVALID: FIELD_MESSAGES.PHONE_INVALID! },
  validate(value: string, helpers: CustomHelpers) {
    const phone = normalisePhone(value);
    if (!phone) return { value, errors: helpers.error('PHONE_INVALID') };
    return { value: phone };
  },
};

const genderType: Extension = {
  type: 'gender',
  base: BaseJoi.string(),
  messages: { GENDER_INVALID: FIELD_MESSAGES.GENDER_INVALID! },
  validate(value: string, helpers: CustomHelpers) {
    const gender = parseGender(value);
    if (!gender) return { value, errors: helpers.error('GENDER_INVALID') };
    return { value: gender };
  },
};

interface DomainJoi extends BaseJoi.Root {
  idNumber(): BaseJoi.StringSchema;
  personName(): BaseJoi.StringSchema;
  phone(): BaseJoi.StringSchema;
  gender(): BaseJoi.StringSchema;
}

export const Joi = BaseJoi.extend(idNumberType, personNameType, phoneType, genderType) as DomainJoi;

const REQUIRED_TYPES = new Set(['any.required', 'string.empty', 'object.missing']);

function fieldCode(detail: ValidationError['details'][number]): string {
  if (REQUIRED_TYPES.has(detail.type)) return 'REQUIRED';
  if (/^[A-Z][A-Z_]+$/.test(detail.type)) return detail.type;
  return 'INVALID';
}

export function toFieldErrors(error: ValidationError, prefix?: string): FieldError[] {
  const seen = new Set<string>();
  return error.details.flatMap((d) => {
    const path = d.path.map(String).join('.');
    const field = prefix && !path ? prefix : path || '(body)';
    const code = fieldCode(d);
    // one entry per field and code, however many of joi's rules the value broke
    if (seen.has(`${field} ${code}`)) return [];
    seen.add(`${field} ${code}`);
    return [{ field, code, message: FIELD_MESSAGES[code] ?? d.message }];
  });
}

export function validationFailed(errors: FieldError[], detail?: string): AppError {
  const spec = CommonErrors.VALIDATION_FAILED;
  return new AppError(
    spec.code,
    spec.kind,
    spec.title,
    detail ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  );
}

/** Validates one part of a request; returns the converted value or throws VALIDATION_FAILED. */
export function validatePart<T>(
  schema: ObjectSchema<T>,
  value: unknown,
  part: 'body' | 'query' | 'params',
): T {
  const result = schema.validate(value, {
    abortEarly: false,
    stripUnknown: true,
    errors: { wrap: { label: false } },
  });
  if (result.error) throw validationFailed(toFieldErrors(result.error, part === 'body' ? undefined : part));
  return result.value;
}

export type { ErrorReport, ObjectSchema };

/** A string list query parameter cursor and limit, shared by every list endpoint. */
export const listQuery = {
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(200),
};

/** A calendar day written YYYY-MM-DD that exists (no 30 February). */
export const isoDay = Joi.string()
  .pattern(/^\d{4}-\d{2}-\d{2}$/)
  .custom((value: string, helpers) => (isRealDate(value) ? value : helpers.error('any.invalid')));

const SHUNDE_OFFSET = '+08:00';

/**
 * A period bound given as a day (a Shunde day: `from` at its start, `to` through its end) or as an ISO
 * date-time. Converted to the instant that starts or ends the period.
 */
export function periodBound(end: 'from' | 'to') {
  return Joi.string().custom((value: string, helpers) => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      if (!isRealDate(value)) return helpers.error('any.invalid');
      const start = new Date(`${value}T00:00:00${SHUNDE_OFFSET}`);
      return end === 'from' ? start : new Date(start.getTime() + 24 * 3600 * 1000);
    }
    const at = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) return helpers.error('any.invalid');
    return at;
  });
}
