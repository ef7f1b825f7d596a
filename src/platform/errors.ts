/**
 * Domain errors. A service throws an AppError with a stable code and a Chinese title the counter can
 * show; the error middleware turns its kind into an HTTP status. Nothing else decides statuses.
 */
export type ErrorKind =
  | 'invalid' // 422: the request breaks a rule
  | 'bad_request' // 400
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'timeout' // 408
  | 'conflict' // 409: the current state does not allow it
  | 'too_large' // 413
  | 'unsupported' // 415
  | 'rate_limited' // 429
  | 'headers_too_large' // 431
  | 'unavailable' // 503
  | 'internal'; // 500: never for anything the client did

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 422,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  headers_too_large: 431,
  unavailable: 503,
  internal: 500,
};

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    readonly title: string,
    readonly detail?: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }

  get status(): number {
    return STATUS_BY_KIND[this.kind];
  }
}

/** A catalogue entry: code, kind and Chinese title, so that every place raising a code says the same. */
export interface ErrorSpec {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly title: string;
}

export function defineErrors<K extends string>(
  specs: Record<K, Omit<ErrorSpec, 'code'>>,
): Record<K, ErrorSpec> {
  const out = {} as Record<K, ErrorSpec>;
  for (const code of Object.keys(specs) as K[]) out[code] = { code, ...specs[code] };
  return out;
}

export function raise(spec: ErrorSpec, detail?: string): never {
  throw new AppError(spec.code, spec.kind, spec.title, detail);
}

export const CommonErrors = defineErrors({
  VALIDATION_FAILED: { kind: 'invalid', title: '提交的信息有误，请检查后重试' },
  MALFORMED_JSON: { kind: 'bad_request', title: '请求内容不是有效的JSON' },
  MALFORMED_REQUEST: { kind: 'bad_request', title: '请求格式不正确' },
  UNSUPPORTED_MEDIA_TYPE: { kind: 'unsupported', title: '请求内容格式不受支持' },
  PAYLOAD_TOO_LARGE: { kind: 'too_large', title: '请求内容过大' },
  HEADERS_TOO_LARGE: { kind: 'headers_too_large', title: '请求头过大' },
  REQUEST_TIMEOUT: { kind: 'timeout', title: '请求超时' },
  NOT_FOUND: { kind: 'not_found', title: '请求的地址不存在' },
  UNAUTHENTICATED: { kind: 'unauthenticated', title: '未登录或令牌无效' },
  FORBIDDEN: { kind: 'forbidden', title: '无权执行此操作' },
  RATE_LIMITED: { kind: 'rate_limited', title: '请求过于频繁，请稍后再试' },
  IDEMPOTENCY_KEY_REUSED: { kind: 'invalid', title: '同一幂等键已用于不同的请求内容' },
  IDEMPOTENCY_IN_PROGRESS: { kind: 'conflict', title: '相同的请求正在处理中，请稍后重试' },
  IDEMPOTENCY_RESPONSE_LOST: {
    kind: 'conflict',
    title: '该请求已办理完成，但办理结果未能保存，请查询办理结果后再操作',
  },
  INVALID_STATE: { kind: 'conflict', title: '当前状态不允许此操作' },
  SERVICE_UNAVAILABLE: { kind: 'unavailable', title: '服务暂时不可用，请稍后重试' },
  CONCURRENT_UPDATE: { kind: 'conflict', title: '数据正被其他操作修改，请重试' },
  INTERNAL_ERROR: { kind: 'internal', title: '系统内部错误，请稍后重试' },
});
