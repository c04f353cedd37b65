import { openDatabase } from '@latih/db';
import { ConfigError, loadEnv } from './env';

/** `npm run db:migrate`: applies the migrations to DATABASE_URL, or to the embedded database. */
try {
  const config = loadEnv();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  await database.migrate();
  const current = await database.migrationsCurrent();
  await database.close();
  console.log(
    `migrations applied on ${database.engine}${database.engine === 'pglite' ? ` (${config.dataDir})` : ''}: ${current ? 'current' : 'NOT current'}`,
  );
  process.exit(current ? 0 : 1);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
