import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Actor, PartnerActor } from './context';
import { CommonErrors } from './errors';
import { appError, requireJsonBody } from './http';
import type { RouteDef } from './routes';
import { requestScope } from './request-context';
import { validatePart } from './validation';

export interface PartnerCall {
  endpoint: string;
  cardNo: string | null;
  status: number;
  requestId: string | null;
}

export interface Gatekeeper {
  /** Resolves a bearer secret to an operator or a partner; undefined when it is unknown or revoked. */
  resolve(secret: string): Promise<Actor | undefined>;
  /** Called for every partner request once its key is known, e.g. to rate-limit it. */
  admitPartner?(actor: PartnerActor, req: Request): Promise<void>;
  /** Records a partner's call before its response is sent, whatever the outcome. */
  recordPartnerCall?(actor: PartnerActor, call: PartnerCall): Promise<void>;
}

type Idempotency = (req: Request, res: Response, next: NextFunction, caller: string) => Promise<void>;

function bearer(req: Request): string | undefined {
  const header = req.get('Authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/** Partners' calls are logged before their response leaves, refusals included. */
function logPartnerCalls(
  def: RouteDef,
  req: Request,
  res: Response,
  actor: PartnerActor,
  gatekeeper: Gatekeeper,
): void {
  if (!gatekeeper.recordPartnerCall) return;
  const record = (call: PartnerCall) => gatekeeper.recordPartnerCall!(actor, call);
  // read now: by the time an error reaches the error handler, Express has reset req.params
  const cardNo = typeof req.params.cardNo === 'string' ? req.params.cardNo.slice(0, 32) : null;
  const sendJson = res.json.bind(res);
  res.json = (body: unknown) => {
    record({
      endpoint: `${def.method.toUpperCase()} ${def.path}`,
      cardNo,
      status: res.statusCode,
      requestId: req.id,
    }).then(
      () => sendJson(body),
      () => sendJson(body),
    );
    return res;
  };
}

async function authorise(
  def: RouteDef,
  req: Request,
  res: Response,
  gatekeeper: Gatekeeper,
): Promise<Actor | undefined> {
  if (def.access.kind === 'public') return undefined;
  const secret = bearer(req);
  const actor = secret ? await gatekeeper.resolve(secret) : undefined;
  if (!actor) throw appError(CommonErrors.UNAUTHENTICATED);
  res.locals.actor = actor;
  const scope = requestScope.getStore();
  if (scope) {
    scope.operatorId = actor.id;
    scope.role = actor.kind === 'operator' ? actor.role : actor.kind;
  }
  if (actor.kind === 'partner') logPartnerCalls(def, req, res, actor, gatekeeper);
  if (def.access.kind === 'partner') {
    if (actor.kind !== 'partner') throw appError(CommonErrors.FORBIDDEN, '合作单位接口只接受合作单位密钥');
    await gatekeeper.admitPartner?.(actor, req);
    if (!actor.scopes.includes(def.access.scope))
      throw appError(CommonErrors.FORBIDDEN, `需要权限范围 ${def.access.scope}`);
    return actor;
  }
  if (actor.kind !== 'operator' || !def.access.roles.includes(actor.role))
    throw appError(CommonErrors.FORBIDDEN);
  return actor;
}

// non-strict: a body of `null` or `3` is JSON, and gets the validation error it deserves
const jsonBody = express.json({
  limit: '100kb',
  type: ['application/json', 'application/*+json'],
  strict: false,
});

/** Mounts declared routes: authorise, replay idempotent retries, validate, then the two-line handler. */
export function mountRoutes(
  defs: readonly RouteDef[],
  gatekeeper: Gatekeeper,
  idempotency: Idempotency,
): Router {
  const router = express.Router();
  for (const def of defs) {
    // an empty body where one is due is a validation failure, not an empty object
    const bodySchema = def.optionalBody ? def.body : def.body?.required();
    const handlers = [
      (req: Request, res: Response, next: NextFunction) => {
        res.locals.route = `${req.baseUrl}${def.path}`;
        next();
      },
      // who is asking is settled before the body is read: strangers never make us parse anything
      async (req: Request, _res: Response, next: NextFunction) => {
        await authorise(def, req, _res, gatekeeper);
        next();
      },
      ...(def.method === 'post' && !def.rawBody ? [requireJsonBody, jsonBody] : []),
      async (req: Request, res: Response, next: NextFunction) => {
        const actor = res.locals.actor as Actor | undefined;
        // a streamed upload is idempotent by its content (the same file is the same batch): its body
        // cannot be compared with the first request's before it is read, so the header adds nothing
        if (actor && def.access.kind !== 'public' && !def.rawBody)
          await idempotency(req, res, next, `${actor.kind}:${actor.id}`);
        else next();
      },
      async (req: Request, res: Response) => {
        const actor = (res.locals.actor as Actor | undefined) ?? { kind: 'system', id: 'system' };
        const body: unknown = bodySchema
          ? validatePart(bodySchema, req.body ?? (def.optionalBody ? {} : undefined), 'body')
          : undefined;
        const query: unknown = def.query ? validatePart(def.query, req.query, 'query') : undefined;
        const params: unknown = def.params ? validatePart(def.params, req.params, 'params') : undefined;
        await def.handle({ body, query, params, actor, ctx: { actor, requestId: req.id }, req }, res);
      },
    ];
    router[def.method](def.path, ...handlers);
  }
  return router;
}
