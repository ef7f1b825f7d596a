import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { AppDeps } from './deps';
import type { Actor } from './platform/context';
import { errorHandler, notFound, requestId } from './platform/http';
import { idempotency } from './platform/idempotency';
import { mountRoutes, type Gatekeeper } from './platform/mount';
import type { RouteDef } from './platform/routes';
import { operatorByToken } from './components/operators';
import { applicationRoutes } from './components/applications';
import { auditRoutes } from './components/audit';
import { functionRoutes } from './components/functions';
import { lossReportRoutes } from './components/loss-reports';
import { cardRoutes } from './components/cards';
import { feeRoutes } from './components/fees';
import { productionRoutes } from './components/production';
import { residentRoutes } from './components/residents';
import { operationsRouter } from './operations';
import { buildServices, type Services } from './services';

export const API_PREFIX = '/api/v1';

function actorFields(res: express.Response): { operatorId: string | null; role: string | null } {
  const actor = res.locals?.actor as Actor | undefined;
  return {
    operatorId: actor?.id ?? null,
    role: actor ? (actor.kind === 'operator' ? actor.role : actor.kind) : null,
  };
}

export function apiRoutes(services: Services, deps: AppDeps): RouteDef[] {
  return [
    ...residentRoutes(services.residents),
    ...applicationRoutes(services.applications, services.pickups, services.replacements),
    ...lossReportRoutes(services.lossReports),
    ...functionRoutes(services.functions),
    ...cardRoutes(services.cards),
    ...feeRoutes(services.fees),
    ...productionRoutes(services.production),
    ...auditRoutes(deps.db),
  ] as RouteDef[];
}

/** Builds the HTTP app from its dependencies. It never listens and reads no environment. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');
  const services = buildServices(deps);
  const gatekeeper: Gatekeeper = {
    resolve: async (secret): Promise<Actor | undefined> => operatorByToken(deps.db, secret),
  };

  app.use(requestId());
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => (req as express.Request).id,
      // who acted is known only after authentication, so it is added when the request completes
      customSuccessObject: (_req, res, value: Record<string, unknown>) => ({
        ...value,
        ...actorFields(res as express.Response),
      }),
      customErrorObject: (_req, res, _err, value: Record<string, unknown>) => ({
        ...value,
        ...actorFields(res as express.Response),
      }),
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          method: req.method,
          path: req.url.split('?')[0],
          id: req.id,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      wrapSerializers: false,
      quietReqLogger: true,
    }),
  );
  app.use(operationsRouter(deps));
  app.use(API_PREFIX, express.json({ limit: '100kb', type: ['application/json', 'application/*+json'] }));
  app.use(
    API_PREFIX,
    mountRoutes(
      apiRoutes(services, deps),
      gatekeeper,
      idempotency(deps.db, deps.vault, deps.config.piiHashKey),
    ),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
