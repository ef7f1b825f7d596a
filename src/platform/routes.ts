import type { Request, Response } from 'express';
import type { ObjectSchema } from 'joi';
import type { Actor, OperatorRole, RequestContext } from './context';

/**
 * Every endpoint is declared as data: method, path, who may call it and the joi schemas that validate
 * it. The app mounts these declarations, and the OpenAPI document is generated from the same ones, so
 * the documentation cannot drift from what is enforced.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'operator'; roles: readonly OperatorRole[] }
  | { kind: 'partner'; scope: string };

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  ctx: RequestContext;
  actor: Actor;
  req: Request;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of routes holds every input type
export interface RouteDef<B = any, Q = any, P = any> {
  method: 'get' | 'post';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: ObjectSchema<B>;
  query?: ObjectSchema<Q>;
  params?: ObjectSchema<P>;
  /** Status of the success response, for the documentation. */
  success: number;
  /** Every body field is optional, so no body at all is fine too. */
  optionalBody?: boolean;
  /** Non-JSON request bodies (multipart uploads) parse themselves; `form` documents their parts. */
  rawBody?: boolean;
  form?: {
    required: string[];
    properties: Record<string, { type: 'string'; format?: 'binary'; description: string }>;
  };
  /** Other success statuses the route answers with, for the documentation. */
  alsoSuccess?: number[];
  handle(input: RouteInput<B, Q, P>, res: Response): Promise<void>;
}

export function operators(...roles: OperatorRole[]): Access {
  return { kind: 'operator', roles };
}

export const PUBLIC: Access = { kind: 'public' };

export function route<B = Record<string, never>, Q = Record<string, never>, P = Record<string, never>>(
  def: RouteDef<B, Q, P>,
): RouteDef<B, Q, P> {
  return def;
}
