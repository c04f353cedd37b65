import { AppError } from '@latih/contracts';
import { runStaffCommand } from '@latih/core';
import { openDatabase } from '@latih/db';
import { ConfigError, loadEnv } from './env';

/**
 * `npm run staff -- add|reset-password|disable …`: PMO staff accounts, from the operator's shell
 * on DATABASE_URL (or the embedded database). See runStaffCommand for the commands.
 */
try {
  const config = loadEnv();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (!(await database.migrationsCurrent()))
      throw new Error('The database is not migrated: run `npm run db:migrate` first.');
    for (const line of await runStaffCommand(database.db, process.argv.slice(2), new Date()))
      console.log(line);
  } finally {
    await database.close();
  }
} catch (err) {
  console.error(err instanceof ConfigError || err instanceof AppError ? err.message : err);
  process.exit(1);
}
