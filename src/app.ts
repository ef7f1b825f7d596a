import express, { type Express } from 'express';
import type { AppDeps } from './deps';
import { errorHandler, notFound, requestId, requestLog } from './platform/http';
import { idempotency } from './platform/idempotency';
import { mountRoutes } from './platform/mount';
import { buildGatekeeper } from './gatekeeper';
import type { RouteDef } from './platform/routes';
import { applicationRoutes } from './components/applications';
import { auditRoutes } from './components/audit';
import { collectionRoutes } from './components/collection';
import { functionRoutes } from './components/functions';
import { lossReportRoutes } from './components/loss-reports';
import { partnerRoutes } from './components/partners';
import { cardRoutes } from './components/cards';
import { feeRoutes } from './components/fees';
import { productionRoutes } from './components/production';
import { residentRoutes } from './components/residents';
import { operationsRouter } from './operations';
import { metricsRouter } from './metrics';
import { docsRouter } from './docs';
import { createRegistry, httpMetrics } from './platform/metrics';
import { QUEUE_DASHBOARD_PATH, queueDashboard } from './queue-dashboard';
import { buildServices, type Services } from './services';

export const API_PREFIX = '/api/v1';

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
    ...partnerRoutes(services.partners),
    ...collectionRoutes(services.collection),
  ] as RouteDef[];
}

/** Builds the HTTP app from its dependencies. It never listens and reads no environment. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // no client sends If-None-Match: hashing every JSON body for an ETag is work for nothing
  app.set('etag', false);
  // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY; otherwise anyone could
  // pick their own address and walk around per-address rate limits
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple');
  const services = buildServices(deps);
  const gatekeeper = buildGatekeeper(deps, services);

  const registry = createRegistry('api');
  const routes = apiRoutes(services, deps);
  app.use(requestId());
  app.use(httpMetrics(registry));
  app.use(requestLog(deps.logger));
  app.use(operationsRouter(deps));
  app.use(metricsRouter(deps, registry));
  app.use(docsRouter(routes, API_PREFIX));
  app.use(QUEUE_DASHBOARD_PATH, queueDashboard(deps, gatekeeper));
  app.use(
    API_PREFIX,
    mountRoutes(routes, gatekeeper, idempotency(deps.db, deps.vault, deps.config.piiHashKey)),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
