import { loadConfig, loadDotEnv } from './config';
import { createDb, type Db } from './platform/db';
import type { OperatorRole } from './platform/context';
import { createOperator, disableOperator } from './components/operators';
import { createPartnerFromCli, PartnersService } from './components/partners';
import { systemClock } from './platform/dates';
import { systemContext } from './platform/context';
import { collectionImportCommand } from './components/collection';

/** `npm run cli -- <command> --flag value …`: operators' commands. Secrets are printed alone on the last line. */
type Flags = Record<string, string>;

function parseFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument: ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags[name] = inline;
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`--${name} needs a value`);
      flags[name] = next;
      i++;
    }
  }
  return flags;
}

const COMMANDS: Record<string, { usage: string; run(db: Db, flags: Flags): Promise<void> }> = {
  'operator:create': {
    usage:
      'operator:create --role counter|call_center|collector|admin|auditor --name 梁敏 [--centre DL] [--team <teamId>]',
    async run(db, flags) {
      const { operatorId, token } = await createOperator(db, {
        role: flags.role as OperatorRole,
        name: flags.name ?? '',
        centre: flags.centre,
        team: flags.team,
      });
      console.log(`Created ${flags.role} operator ${operatorId}. Its token is shown this once:`);
      console.log(token);
    },
  },
  'operator:disable': {
    usage: 'operator:disable --id <operatorId>',
    async run(db, flags) {
      if (!flags.id) throw new Error('operator:disable needs --id <operatorId>');
      const outcome = await disableOperator(db, flags.id);
      console.log(
        outcome === 'disabled'
          ? `Disabled operator ${flags.id}: its token stops working within 10 seconds on every API process.`
          : `Operator ${flags.id} was already disabled.`,
      );
    },
  },
  'partner:create': {
    usage: 'partner:create --name <application> --department <department> --scopes card.read,hotlist.read',
    async run(db, flags) {
      const { partnerId, key } = await createPartnerFromCli(db, systemClock, {
        name: flags.name ?? '',
        department: flags.department ?? '',
        scopes: (flags.scopes ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      });
      console.log(`Created partner ${partnerId}. Its key is shown this once:`);
      console.log(key);
    },
  },
  'partner:revoke': {
    usage: 'partner:revoke --id <partnerId>',
    async run(db, flags) {
      if (!flags.id) throw new Error('partner:revoke needs --id <partnerId>');
      await new PartnersService(db, systemClock).revoke(flags.id, systemContext('cli'));
      console.log(`Revoked partner ${flags.id}: its key no longer works.`);
    },
  },
  'collection:import': collectionImportCommand,
};

export function registerCommand(name: string, command: (typeof COMMANDS)[string]): void {
  COMMANDS[name] = command;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(
      `Usage: npm run cli -- <command>\n${Object.values(COMMANDS)
        .map((c) => `  ${c.usage}`)
        .join('\n')}`,
    );
    process.exitCode = 2;
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  const db = createDb(config.databaseUrl, 2);
  try {
    await command.run(db, parseFlags(rest));
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
