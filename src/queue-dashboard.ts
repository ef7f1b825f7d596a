import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Router } from 'express';
import type { AppDeps } from './deps';
import { CommonErrors } from './platform/errors';
import { appError } from './platform/http';
import { QUEUE_NAMES } from './platform/queue';
import type { Gatekeeper } from './platform/mount';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

function boardRouter(deps: AppDeps): Router {
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.queues.get(name))),
    // @bull-board/express pins its own patch release of @bull-board/api, whose private fields make the
    // otherwise identical adapter types incompatible
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  return board.getRouter() as Router;
}

/**
 * The BullMQ dashboard (bull-board) for operations staff: every queue, its jobs and their failures.
 * It can retry and remove jobs, so only an admin token opens it.
 */
export function queueDashboard(deps: AppDeps, gatekeeper: Pick<Gatekeeper, 'resolve'>): Router {
  // built on first use: a queue made while the API's fail-fast Redis connection is still opening
  // would stay broken, for the dashboard and for every enqueue that shares it
  let board: Router | undefined;
  const router = express.Router();
  router.use(async (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('Authorization') ?? '');
    // resolved like every other route's token: a partner key is known here too, and refused with 403
    const actor = m?.[1] ? await gatekeeper.resolve(m[1]) : undefined;
    if (!actor) return next(appError(CommonErrors.UNAUTHENTICATED));
    if (actor.kind !== 'operator' || actor.role !== 'admin') return next(appError(CommonErrors.FORBIDDEN));
    res.locals.actor = actor;
    board ??= boardRouter(deps);
    board(req, res, next);
  });
  return router;
}
