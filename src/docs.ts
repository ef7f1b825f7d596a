import express, { type Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { buildOpenApi } from './platform/openapi';
import type { RouteDef } from './platform/routes';

/** `/openapi.json` from the route declarations, and a browsable `/docs` over it. */
export function docsRouter(defs: readonly RouteDef[], prefix: string): Router {
  const document = buildOpenApi(defs, prefix);
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  // one metrics label for the page and all its assets (the static files have no route template)
  router.use('/docs', (_req, res, next) => {
    res.locals.route = '/docs';
    next();
  });
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res
      .type('application/javascript')
      .send(
        "window.onload = () => { window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true }); };",
      );
  });
  router.get('/docs', (req, res, next) => {
    if (!req.originalUrl.endsWith('/')) return res.redirect(301, '/docs/');
    next();
  });
  router.use('/docs', express.static(getAbsoluteFSPath(), { index: 'index.html' }));
  return router;
}
