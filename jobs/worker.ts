import { loadConfig, loadDotEnv } from '../src/config';
import { closeDeps, openDeps } from '../src/runtime';
import { startWorkers } from './workers';

function main(): void {
  loadDotEnv();
  const config = loadConfig();
  const deps = openDeps(config, 'worker');
  const running = startWorkers(deps, { redisUrl: config.redisUrl });
  deps.logger.info({ workers: running.workers.map((w) => w.name) }, 'workers started');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // close() asks long jobs to stop at a safe point and hand themselves back, and waits for the rest;
    // their state is in MySQL, so a job cut short by a harder kill is picked up again too
    deps.logger.info({ signal }, 'worker shutting down: handing back or finishing active jobs');
    void running
      .close()
      .then(() => closeDeps(deps))
      .finally(() => {
        deps.logger.info('worker stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

try {
  main();
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
