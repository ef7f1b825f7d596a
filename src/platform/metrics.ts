import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; the API and each worker expose their own. */
export function createRegistry(processName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      // the template (/api/v1/cards/:cardNo), never the concrete path: card numbers are not labels
      const route =
        (res.locals.route as string | undefined) ??
        (req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched');
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export { Counter, Gauge, Histogram, Registry };
