import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { catalogSync } from './commands/catalog';
import { clockAdvance, clockGet } from './commands/clock';
import { importCourses } from './commands/import';
import { listen } from './commands/listen';
import { login, logout, whoami } from './commands/login';
import { CliError, Output } from './output';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

type Globals = { profile: string; json: boolean };

const program = new Command('latih')
  .description('The Latih partner gateway from the command line (every call through @latih/sdk)')
  .version(version)
  .addOption(
    new Option('-p, --profile <name>', 'the profile to use (see latih login)')
      .env('LATIH_PROFILE')
      .default('default'),
  )
  .option(
    '--json',
    'machine-readable output on stdout only: one JSON document, or JSON lines for streams',
    false,
  )
  .showHelpAfterError()
  .exitOverride();

const globals = (): Globals => program.opts<Globals>();
const output = () => new Output(globals().json);

/** Runs a command: errors become `Error CODE: message (request id)`, or {"error": …} with --json, and exit code 1. */
function run<A extends unknown[]>(fn: (out: Output, ...args: A) => Promise<unknown>) {
  return async (...args: A) => {
    const out = output();
    try {
      const code = await fn(out, ...args);
      process.exitCode = typeof code === 'number' ? code : 0;
    } catch (err) {
      out.error(err);
      process.exitCode = 1;
    }
  };
}

program
  .command('login')
  .description('save a profile: gateway URL, client id and secret (verified by getting a token first)')
  .option('--url <url>', 'the gateway, e.g. http://localhost:3000 (or LATIH_URL)')
  .option('--client-id <id>', 'the client id (or LATIH_CLIENT_ID)')
  .option('--client-secret <secret>', 'the client secret (or LATIH_CLIENT_SECRET, which keeps it out of ps)')
  .action(run((out, opts) => login(globals().profile, opts, out)));

program
  .command('logout')
  .description('remove the profile and what was remembered for it')
  .action(run((out) => logout(globals().profile, out)));

program
  .command('whoami')
  .description("the profile's organisation, role, client and scopes, as the gateway sees its token")
  .action(run((out) => whoami(globals().profile, out)));

program
  .command('listen')
  .description('forward your events (events.list) to a local URL, signed as webhooks are; runs until Ctrl-C')
  .requiredOption('-f, --forward-to <url>', 'where to POST each event, e.g. http://localhost:4000/hooks')
  .option('--secret <whsec>', 'the signing secret (default: one generated and kept in the profile state)')
  .option('--types <types...>', 'only these event types, e.g. voucher.redeemed course.approved')
  .option('--poll-interval <ms>', 'pause between polls once caught up', '2000')
  .option('--max-attempts <n>', 'attempts per event before it is reported failed', '5')
  .option('--backoff <ms>', 'first pause before a retry; doubles each time', '1000')
  .option('--timeout <ms>', 'how long to wait for the receiver', '10000')
  .action(run((out, opts) => listen(globals().profile, opts, out)));

const courses = program.command('courses').description("providers' courses");
courses
  .command('import')
  .description('import courses with their runs from a .csv or .json file (provider.courses.import)')
  .argument('<file>', 'a .json array of courses, or a .csv with one course per row')
  .option('--dry-run', 'check every row as the gateway would import it, write nothing', false)
  .option('--batch-size <n>', 'rows per request (at most 1000)', '100')
  .action(run((out, file: string, opts) => importCourses(globals().profile, file, opts, out)));

const catalog = program.command('catalog').description("a platform's view of the catalog");
catalog
  .command('sync')
  .description('write the catalog as JSONL: a full load, then only the changes since the stored cursor')
  .requiredOption('-o, --out <file>', 'the JSONL file; its cursor is kept in <file>.cursor')
  .option('--follow', 'keep polling for changes until Ctrl-C', false)
  .option('--poll-interval <ms>', 'pause between polls once caught up, with --follow', '5000')
  .option('--limit <n>', 'changes per request (1–500)', '500')
  .action(run((out, opts) => catalogSync(globals().profile, opts, out)));

const clock = program
  .command('clock')
  .description("the sandbox's test clock: show it")
  .action(run((out) => clockGet(globals().profile, out)));
clock
  .command('advance')
  .description('move the sandbox clock forward, e.g. 2d, 90m, 1h30m; waits until its jobs ran (READY)')
  .argument('<duration>', 'units w, d, h, m, s, largest first: 1d12h, 90m, 45s')
  .option('--no-wait', 'return at once (the clock answers ADVANCING until its jobs ran)')
  .option('--timeout <seconds>', 'give up waiting for READY after this long', '120')
  .action(run((out, duration: string, opts) => clockAdvance(globals().profile, duration, opts, out)));

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (err.exitCode !== 0 && process.argv.includes('--json'))
      new Output(true).error(new CliError('USAGE', err.message.replace(/^error: /, '')));
    process.exitCode = err.exitCode;
  } else {
    output().error(err);
    process.exitCode = 1;
  }
}
