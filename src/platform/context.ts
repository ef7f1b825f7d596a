/** Who is acting, through which channel, for which request: carried from the route into services and audit. */
export type OperatorRole = 'counter' | 'call_center' | 'collector' | 'admin' | 'auditor';
export type Channel = 'counter' | 'call_centre' | 'collection' | 'partner' | 'admin' | 'system';

export interface OperatorActor {
  kind: 'operator';
  id: string;
  name: string;
  role: OperatorRole;
  centre: string | null;
  team: string | null;
}

export interface PartnerActor {
  kind: 'partner';
  id: string;
  name: string;
  department: string;
  scopes: string[];
}

export interface SystemActor {
  kind: 'system';
  id: 'system';
}

export type Actor = OperatorActor | PartnerActor | SystemActor;

export interface RequestContext {
  actor: Actor;
  requestId: string | null;
}

export const SYSTEM: SystemActor = { kind: 'system', id: 'system' };

export function systemContext(requestId: string | null = null): RequestContext {
  return { actor: SYSTEM, requestId };
}

const CHANNEL_BY_ROLE: Record<OperatorRole, Channel> = {
  counter: 'counter',
  call_center: 'call_centre',
  collector: 'collection',
  admin: 'admin',
  auditor: 'admin',
};

export function channelOf(actor: Actor): Channel {
  if (actor.kind === 'operator') return CHANNEL_BY_ROLE[actor.role];
  return actor.kind === 'partner' ? 'partner' : 'system';
}

export function asOperator(ctx: RequestContext): OperatorActor {
  if (ctx.actor.kind !== 'operator') throw new Error('An operator is required here');
  return ctx.actor;
}
