import express, { type Router } from 'express';
import type { AppDeps } from './deps';
import { probeDatabase } from './platform/db';

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}

/** Liveness and readiness for the load balancer and the orchestrator (no /api/v1 prefix). */
export function operationsRouter(deps: AppDeps): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    // "not ready" (draining, a dependency away) is this route's answer, not a fault of the request
    res.locals.logLevel = 'warn';
    if (req.app.locals.draining === true) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const [mysql, redis] = await Promise.all([
      withTimeout(probeDatabase(deps.config.databaseUrl, 2000), 2000).then(
        () => 'ok',
        () => 'unreachable',
      ),
      withTimeout(deps.redis.ping(), 2000).then(
        () => 'ok',
        () => 'unreachable',
      ),
    ]);
    const ready = mysql === 'ok' && redis === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', mysql, redis });
  });
  return router;
}
