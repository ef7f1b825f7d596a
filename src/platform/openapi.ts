import type { Schema } from 'joi';
import type { RouteDef } from './routes';

/**
 * OpenAPI 3 generated from the joi schemas the routes validate with, so that what is documented is
 * what is enforced. Only the parts of joi the routes use are translated.
 */
type JsonSchema = Record<string, unknown>;

interface Description {
  type: string;
  flags?: { presence?: string; only?: boolean; default?: unknown; format?: string; description?: string };
  allow?: unknown[];
  rules?: Array<{ name: string; args?: Record<string, unknown> }>;
  keys?: Record<string, Description>;
  items?: Description[];
  whens?: Array<{ then?: Description; otherwise?: Description }>;
  matches?: Array<{ schema?: Description; then?: Description; otherwise?: Description }>;
}

// the domain string types (idNumber, personName, phone, gender) are strings with a known format
const DOMAIN_STRINGS: Record<string, string> = {
  idNumber: 'citizen-id (GB 11643, 18 characters)',
  personName: 'person name (≤ 50 characters)',
  phone: 'mobile or 0757 landline',
  gender: '男/女/男性/女性/M/F',
};

function toJsonSchema(d: Description): JsonSchema {
  if (d.whens?.length) {
    const options = d.whens
      .flatMap((w) => [w.then, w.otherwise])
      .filter((x): x is Description => x !== undefined);
    return { anyOf: options.map(toJsonSchema) };
  }
  if (d.type === 'alternatives' && d.matches?.length) {
    const options = d.matches
      .flatMap((m) => [m.schema, m.then, m.otherwise])
      .filter((x): x is Description => x !== undefined);
    const out: JsonSchema = { anyOf: options.map(toJsonSchema) };
    if (d.flags?.description) out.description = d.flags.description;
    return out;
  }
  const out: JsonSchema = {};
  const values = (d.allow ?? []).filter((v) => typeof v !== 'object' || v === null);
  if (d.flags?.only && values.length) out.enum = values;
  if (d.flags?.default !== undefined && typeof d.flags.default !== 'function') out.default = d.flags.default;
  const rule = (name: string) => d.rules?.find((r) => r.name === name)?.args;
  switch (d.type) {
    case 'object': {
      out.type = 'object';
      const keys = Object.entries(d.keys ?? {});
      out.properties = Object.fromEntries(keys.map(([k, v]) => [k, toJsonSchema(v)]));
      const required = keys.filter(([, v]) => v.flags?.presence === 'required').map(([k]) => k);
      if (required.length) out.required = required;
      break;
    }
    case 'array':
      out.type = 'array';
      if (d.items?.[0]) out.items = toJsonSchema(d.items[0]);
      if (rule('min')) out.minItems = rule('min')!.limit;
      if (rule('max')) out.maxItems = rule('max')!.limit;
      break;
    case 'number':
      out.type = d.rules?.some((r) => r.name === 'integer') ? 'integer' : 'number';
      if (rule('min')) out.minimum = rule('min')!.limit;
      if (rule('max')) out.maximum = rule('max')!.limit;
      break;
    case 'boolean':
      out.type = 'boolean';
      break;
    case 'date':
      out.type = 'string';
      out.format = 'date-time';
      break;
    case 'any':
      break;
    default: {
      out.type = 'string';
      if (DOMAIN_STRINGS[d.type]) out.description = DOMAIN_STRINGS[d.type];
      const pattern = rule('pattern')?.regex;
      if (typeof pattern === 'string') out.pattern = pattern.replace(/^\/|\/[gimsuy]*$/g, '');
      if (rule('min')) out.minLength = rule('min')!.limit;
      if (rule('max')) out.maxLength = rule('max')!.limit;
      if (rule('length')) out.minLength = out.maxLength = rule('length')!.limit;
    }
  }
  return out;
}

export function describeSchema(schema: Schema): JsonSchema {
  return toJsonSchema(schema.describe() as Description);
}

const PROBLEM = {
  description: 'application/problem+json with a stable code and a Chinese title',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

function parameters(def: RouteDef): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (where: 'path' | 'query', schema: Schema | undefined) => {
    if (!schema) return;
    const s = describeSchema(schema);
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((s.properties as Record<string, JsonSchema>) ?? {})) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: prop });
    }
  };
  add('path', def.params);
  add('query', def.query);
  return out;
}

export function buildOpenApi(defs: readonly RouteDef[], prefix: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const def of defs) {
    const path = prefix + def.path.replace(/:(\w+)/g, '{$1}');
    const security =
      def.access.kind === 'public'
        ? []
        : def.access.kind === 'partner'
          ? [{ partnerKey: [def.access.scope] }]
          : [{ operatorToken: [...def.access.roles] }];
    const op: JsonSchema = {
      summary: def.summary,
      tags: [def.tag],
      operationId: `${def.method}${def.path.replace(/[/:-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      security,
      parameters: parameters(def),
      ...(def.access.kind === 'operator' ? { 'x-roles': def.access.roles } : {}),
      responses: {
        ...Object.fromEntries(
          [def.success, ...(def.alsoSuccess ?? [])].map((status) => [
            String(status),
            { description: 'success', content: { 'application/json': {} } },
          ]),
        ),
        '4XX': PROBLEM,
      },
    };
    if (def.body) {
      op.requestBody = {
        required: !def.optionalBody,
        content: { 'application/json': { schema: describeSchema(def.body) } },
      };
    } else if (def.rawBody) {
      op.requestBody = {
        required: true,
        content: { 'multipart/form-data': { schema: { type: 'object', ...def.form } } },
      };
    }
    (paths[path] ??= {})[def.method] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Shunde citizen card API', version: '1' },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'operator token (counter, call_center, collector, admin, auditor)',
        },
        partnerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'partner key with scopes; only under /api/v1/partner/',
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  field: { type: 'string' },
                  code: { type: 'string' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  };
}
