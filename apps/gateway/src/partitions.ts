import { AppError } from '@latih/contracts';
import {
  type DetachOutcome,
  detachPartitions,
  maintainPartitions,
  PARTITION_RETENTION_MONTHS,
  type ProgramClock,
  systemClock,
  TestClock,
} from '@latih/core';
import {
  type Database,
  listArchivedPartitions,
  listAttachedPartitions,
  openDatabase,
  PARTITIONED_TABLES,
  type PartitionedTable,
} from '@latih/db';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadEnv } from './env';

/*
 * `npm run partitions -- list | maintain | detach --before 2025-01 [--table events] [--dry-run]`:
 * the month partitions of events, audit_log and attendance, from the operator's shell on
 * DATABASE_URL (or the embedded database). docs/operations.md (Partitions) says how to archive a
 * detached month and drop it.
 */

const TABLES = PARTITIONED_TABLES.map((t) => t.table);

function parseMonth(value: string): string {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!m) throw new InvalidArgumentError('a month is written YYYY-MM, e.g. 2025-01');
  return `${m[1]}-${m[2]}-01`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function renderDetach(outcomes: DetachOutcome[]): string[] {
  if (outcomes.length === 0) return ['nothing to detach: no attached month is older than that'];
  return outcomes.map(
    (o) =>
      `${o.status.padEnd(12)} ${o.partition.padEnd(22)} ${(o.rows === null ? '' : `${fmt(o.rows)} rows`).padStart(17)}${o.reasons.length ? `  (${o.reasons.join('; ')})` : ''}`,
  );
}

/** Runs one command against an open database; answers the lines to print and the exit code. */
export async function runPartitionsCommand(
  database: Database,
  argv: string[],
  clock: ProgramClock,
): Promise<{ lines: string[]; code: number }> {
  const lines: string[] = [];
  let code = 0;
  const program = new Command('partitions')
    .description('The month partitions of events, audit_log and attendance (docs/operations.md, Partitions)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => lines.push(s.trimEnd()), writeErr: (s) => lines.push(s.trimEnd()) })
    .showHelpAfterError();

  program
    .command('list')
    .description(
      'the attached months of each table (rows as the planner estimates them) and the detached ones',
    )
    .action(async () => {
      const now = new Date(clock.now());
      for (const p of await listAttachedPartitions(database.db))
        lines.push(`${p.table.padEnd(11)} ${p.partition.padEnd(22)} ~${fmt(p.estimatedRows)} rows`);
      const archived = await listArchivedPartitions(database.db);
      for (const a of archived)
        lines.push(
          `${a.table.padEnd(11)} ${a.partition.padEnd(22)} ${fmt(a.rows)} rows, detached ${a.detachedAt.toISOString()}${a.present ? ' (still in the database: dump it, then drop it)' : ' (dropped)'}`,
        );
      lines.push(
        `retention (months before ${now.toISOString().slice(0, 7)}): ${TABLES.map((t) => `${t} ${PARTITION_RETENTION_MONTHS[t]}`).join(', ')}`,
      );
    });

  program
    .command('maintain')
    .description(
      'what the partitions.maintain job does, now: make the months ahead, move rows out of the defaults',
    )
    .action(async () => {
      const r = await maintainPartitions({ db: database.db, now: new Date(clock.now()) });
      lines.push(
        `months made: ${r.created}; rows moved out of a default partition: ${r.moved}; rows of archived months left there: ${r.archivedStray}`,
      );
    });

  program
    .command('detach')
    .description(
      'detach the months before --before that the retention and the guarantees allow, oldest first (each table stops at its first refusal)',
    )
    .requiredOption('--before <YYYY-MM>', 'detach months older than this one', parseMonth)
    .addOption(new Option('--table <name...>', 'only these tables').choices(TABLES))
    .option('--dry-run', 'say what would be detached, change nothing', false)
    .option('--lock-timeout <ms>', 'how long to wait for the table lock', (v) => Number(v), 5_000)
    .action(
      async (opts: { before: string; table?: PartitionedTable[]; dryRun: boolean; lockTimeout: number }) => {
        const outcomes = await detachPartitions({
          db: database.db,
          now: new Date(clock.now()),
          before: opts.before,
          ...(opts.table ? { tables: opts.table } : {}),
          dryRun: opts.dryRun,
          lockTimeoutMs: opts.lockTimeout,
        });
        lines.push(...renderDetach(outcomes));
        const detached = outcomes.filter((o) => o.status === 'DETACHED');
        if (detached.length > 0)
          lines.push(
            '',
            'Archive each detached table, check the dump, then drop it (docs/operations.md, Partitions):',
            ...detached.map(
              (o) =>
                `  pg_dump "$DATABASE_URL" --table=${o.partition} --format=custom --file=${o.partition}.dump && pg_restore --list ${o.partition}.dump > /dev/null && psql "$DATABASE_URL" -c 'drop table ${o.partition}'`,
            ),
          );
        if (outcomes.some((o) => o.status === 'REFUSED')) code = 2;
      },
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { lines, code: err.exitCode === 0 ? 0 : 1 };
    throw err;
  }
  return { lines, code };
}

if (process.argv[1]?.endsWith('partitions.ts') || process.argv[1]?.endsWith('partitions.js')) {
  try {
    const config = loadEnv();
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      if (!(await database.migrationsCurrent()))
        throw new Error('The database is not migrated: run `npm run db:migrate` first.');
      const clock: ProgramClock = config.testClock ? new TestClock(database.db) : systemClock;
      await clock.refresh();
      const r = await runPartitionsCommand(database, process.argv.slice(2), clock);
      for (const line of r.lines) console.log(line);
      process.exitCode = r.code;
    } finally {
      await database.close();
    }
  } catch (err) {
    console.error(err instanceof ConfigError || err instanceof AppError ? err.message : err);
    process.exit(1);
  }
}
