import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Actor } from './context';
import { CommonErrors } from './errors';
import { appError, requireJsonBody } from './http';
import type { RouteDef } from './routes';
import { validatePart } from './validation';

export interface Gatekeeper {
  /** Resolves a bearer secret to an operator or a partner; undefined when it is unknown or revoked. */
  resolve(secret: string): Promise<Actor | undefined>;
  /** Called for every partner request once its key is known, e.g. to rate-limit it. */
  admitPartner?(actor: Actor & { kind: 'partner' }, req: Request): Promise<void>;
}

type Idempotency = (req: Request, res: Response, next: NextFunction, caller: string) => Promise<void>;

function bearer(req: Request): string | undefined {
  const header = req.get('Authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

async function authorise(def: RouteDef, req: Request, gatekeeper: Gatekeeper): Promise<Actor | undefined> {
  if (def.access.kind === 'public') return undefined;
  const secret = bearer(req);
  const actor = secret ? await gatekeeper.resolve(secret) : undefined;
  if (!actor) throw appError(CommonErrors.UNAUTHENTICATED);
  if (def.access.kind === 'partner') {
    if (actor.kind !== 'partner' || !actor.scopes.includes(def.access.scope))
      throw appError(CommonErrors.FORBIDDEN);
    await gatekeeper.admitPartner?.(actor, req);
    return actor;
  }
  if (actor.kind !== 'operator' || !def.access.roles.includes(actor.role))
    throw appError(CommonErrors.FORBIDDEN);
  return actor;
}

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
      ...(def.method === 'post' && !def.rawBody ? [requireJsonBody] : []),
      async (req: Request, res: Response, next: NextFunction) => {
        const actor = await authorise(def, req, gatekeeper);
        res.locals.actor = actor;
        if (actor) await idempotency(req, res, next, `${actor.kind}:${actor.id}`);
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
