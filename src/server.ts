import type { Server, ServerResponse } from 'node:http';
import { buildApp } from './app';
import { answerClientErrors } from './platform/client-errors';
import { loadConfig, loadDotEnv } from './config';
import { closeDeps, openDeps } from './runtime';

const SHUTDOWN_GRACE_MS = 15000;
/** How long a stopping API keeps answering while the load balancer notices /readyz is 503. */
const DRAIN_MS = 2000;

function main(): void {
  loadDotEnv();
  const config = loadConfig();
  const deps = openDeps(config, 'api');
  const app = buildApp(deps);
  const server: Server = app.listen(config.port, (err?: Error) => {
    if (err) {
      // a port already taken must stop this process, not leave it up and serving nothing
      deps.logger.fatal({ err: { message: err.message }, port: config.port }, 'cannot listen');
      void closeDeps(deps).finally(() => process.exit(1));
      return;
    }
    deps.logger.info({ port: config.port }, 'API listening');
  });
  server.keepAliveTimeout = 65000;
  answerClientErrors(server, deps.logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      deps.logger.warn('requests still running after the grace period; closing anyway');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // first drain: /readyz turns 503 so the balancer stops sending, and what is already on its way
    // (accepted or still in the listen backlog) is served; then stop listening
    app.locals.draining = true;
    setTimeout(() => close(), DRAIN_MS).unref();
  };
  const close = () => {
    server.close(() => {
      clearInterval(sweep);
      void closeDeps(deps).finally(() => {
        deps.logger.info('stopped');
        process.exit(0);
      });
    });
    // Keep-alive connections that sit idle are closed, but not at once: a request may be on its way
    // on one of them. Responses from now on also ask the client to close.
    const sweep = setInterval(() => server.closeIdleConnections(), 1000);
  };
  // before the app's own listener: a route that answers at once (/readyz, /healthz) has sent its
  // headers by the time a listener after it runs, and setting one then throws
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

try {
  main();
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
