import type { AppDeps } from './deps';
import type { Actor, OperatorActor } from './platform/context';
import { CommonErrors } from './platform/errors';
import { appError } from './platform/http';
import type { Gatekeeper } from './platform/mount';
import { fixedWindowLimiter } from './platform/rate-limit';
import { operatorByToken } from './components/operators';
import type { Services } from './services';

/**
 * Who may come in: operator tokens and partner keys resolved by their hashes (never cached, so a
 * revoked key stops at once), partners rate-limited through Redis across every API process, and each
 * partner call written to the access log.
 */
export function buildGatekeeper(deps: AppDeps, services: Services): Gatekeeper {
  const operators = recentOperators((token) => operatorByToken(deps.db, token));
  const partnerLimiter = fixedWindowLimiter(deps.redis, {
    name: `${deps.config.queuePrefix}:partner`,
    limit: deps.config.partnerRateLimitPerMinute,
    windowMs: 60_000,
  });
  return {
    // partner keys start pk_, operator tokens op_: one look-up for either
    resolve: async (secret): Promise<Actor | undefined> =>
      secret.startsWith('pk_') ? services.partners.partnerByKey(secret) : operators.get(secret),
    recordPartnerCall: (actor, call) => services.partners.recordCall(actor, call),
    admitPartner: async (actor) => {
      const decision = await partnerLimiter.hit(actor.id).catch((err: Error) => {
        // a Redis outage must not cut hospitals off: let the call through and say so in the log
        deps.logger.warn({ err: { message: err.message } }, 'partner rate limit unavailable');
        return { allowed: true, retryAfterSeconds: 0 };
      });
      if (!decision.allowed) {
        throw appError(
          CommonErrors.RATE_LIMITED,
          `每分钟最多 ${deps.config.partnerRateLimitPerMinute} 次请求`,
          {
            'Retry-After': String(decision.retryAfterSeconds),
          },
        );
      }
    },
  };
}

/**
 * Operator tokens change only through the CLI; remembering a resolved token for a few seconds saves a
 * database round trip on every counter request. Partner keys are never remembered: a revoked key must
 * stop at once.
 */
const OPERATOR_CACHE_MS = 10_000;
const OPERATOR_CACHE_SIZE = 10_000;

function recentOperators(lookUp: (token: string) => Promise<OperatorActor | undefined>) {
  const seen = new Map<string, { actor: OperatorActor; until: number }>();
  return {
    async get(token: string): Promise<OperatorActor | undefined> {
      const hit = seen.get(token);
      if (hit && hit.until > Date.now()) return hit.actor;
      const actor = await lookUp(token);
      if (actor) {
        if (seen.size >= OPERATOR_CACHE_SIZE) seen.clear();
        seen.set(token, { actor, until: Date.now() + OPERATOR_CACHE_MS });
      } else seen.delete(token);
      return actor;
    },
  };
}
