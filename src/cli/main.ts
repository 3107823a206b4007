/**
 * The mediavault command line (`npx mediavault <command>`, after `npm run build`; `bin/mediavault.js` loads the
 * built `dist/cli/main.js`). It boots the application's own modules without HTTP (see cli-context.ts), with the
 * configuration resolved exactly as the server resolves it.
 *
 *   import <dir> [--approve] [--folder <path>] [--as <email>]   ingest a directory tree as pending (or media) files
 *   gc | verify | expire-pending | purge-trash                  run a maintenance job now (under its lock)
 *   generate-renditions                                         queue contents without renditions, render them here
 *   users:create <email> [--role admin|member] [--password <pw>]
 *   search:check [--repair]                                     compare the search index with the files; repair it
 *
 * Every command takes --json (one JSON document on stdout, no progress bar) and --verbose (server logs on
 * stderr). Exit codes: 0 ok, 1 failure, 2 usage error, 3 import finished with some files failed,
 * 130 interrupted.
 */
import 'reflect-metadata';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { EmailTakenException } from '../auth/auth.errors.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { emailKeyOf } from '../auth/emails.js';
import type { UserRole } from '../auth/user.entity.js';
import { toUserView, UsersService } from '../auth/users.service.js';
import { authConfig } from '../config/configuration.js';
import { HashCleanupService } from '../file-manager/services/hash-cleanup.service.js';
import { SearchIndexService, type SearchIndexReport } from '../file-manager/services/search-index.service.js';
import { UploadService } from '../file-manager/services/upload.service.js';
import { JobAlreadyRunningException, MaintenanceJobs, type MaintenanceJob } from '../maintenance/maintenance.jobs.js';
import { openCliContext, type CliContext } from './cli-context.js';
import { DirectoryImporter, type ImportSummary } from './directory-importer.js';
import { CliError, ExitCode } from './exit-codes.js';
import { RenditionsService } from '../renditions/renditions.service.js';
import { CountBar, formatBytes, ProgressBar } from './progress.js';
import { hasInvisibleCharacter } from '../common/visible-text.js';

interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    failure (configuration, database or storage unavailable, job failed or already running elsewhere)
  2    usage error (unknown command, bad option)
  3    import finished but some files failed (listed in the output)
  130  interrupted (Ctrl-C); run the same import again to resume, nothing is duplicated

Configuration is read like the server's: environment, .env, and embedded PostgreSQL / S3 under DATA_DIR when
DATABASE_URL / S3_ENDPOINT are unset (those of a server running on the same DATA_DIR, when there is one).`;

/** Output for people (stdout) or one JSON document for scripts. */
function emit(options: GlobalOptions, json: unknown, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

/** Runs `work` inside an application context and always closes it (and the embedded servers). */
async function withContext<T>(options: GlobalOptions, work: (context: CliContext) => Promise<T>): Promise<T> {
  const context = await openCliContext({ verbose: options.verbose });
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}

/** First Ctrl-C: `onInterrupt` (stop cleanly); a second one exits at once. */
function onSignals(onInterrupt: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write(`\n${signal}: stopping after cleaning up the current file (again to quit at once)\n`);
    onInterrupt();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function importCommand(
  directory: string,
  options: GlobalOptions & { approve?: boolean; folder?: string; as?: string },
): Promise<ExitCode> {
  const root = resolve(directory);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`${directory} is not a directory`, ExitCode.Usage);

  return withContext(options, async ({ app }) => {
    const dataSource = app.get(DataSource);
    const email = options.as ?? app.get<{ adminEmail: string }>(authConfig.KEY).adminEmail;
    const uploader = await findUser(dataSource, email);
    const importer = new DirectoryImporter(dataSource, app.get(UploadService), app.get(HashCleanupService));

    const { files, failures } = await importer.scan(root);
    const totalBytes = files.reduce((total, file) => total + file.size, 0);
    const progress = new ProgressBar(!options.json, 'files', files.length, totalBytes);
    const stopListening = onSignals(() => importer.interrupt());
    let summary: ImportSummary;
    try {
      summary = await importer.run(
        files,
        failures,
        {
          approve: options.approve ?? false,
          folder: options.folder ?? '',
          uploader,
        },
        progress,
      );
    } finally {
      progress.stop();
      stopListening();
    }

    emit(options, summary, describeImport(summary, options.approve ?? false));
    if (!options.json) {
      for (const failure of summary.failures)
        process.stderr.write(`failed: ${failure.path}: ${failure.code} ${failure.message}\n`);
    }
    if (summary.interrupted) return ExitCode.Interrupted;
    return summary.failed > 0 ? ExitCode.PartialFailure : ExitCode.Ok;
  });
}

function describeImport(summary: ImportSummary, approve: boolean): string {
  const seconds = summary.durationMs / 1000;
  return [
    `${summary.interrupted ? 'Interrupted' : 'Done'}: ${summary.files} files (${formatBytes(summary.totalBytes)})` +
      ` in ${seconds.toFixed(1)}s`,
    `  imported ${summary.imported}${approve ? `, approved ${summary.approved}` : ' as pending files'}` +
      ` (${formatBytes(summary.bytes)} sent)`,
    `  skipped  ${summary.skipped} (already stored ${summary.skippedBy.exists}, pending ${summary.skippedBy.pending},` +
      ` duplicate in this tree ${summary.skippedBy.duplicate})`,
    `  failed   ${summary.failed}`,
  ].join('\n');
}

async function findUser(dataSource: DataSource, email: string): Promise<AuthenticatedUser> {
  const [user] = await dataSource.query<AuthenticatedUser[]>(`SELECT id, email, role FROM users WHERE email_key = $1`, [
    emailKeyOf(email),
  ]);
  if (!user) throw new CliError(`No user with email ${email} (create one with: mediavault users:create ${email})`);
  return user;
}

/** The maintenance commands: the job of the same name, under its advisory lock, recorded in job_runs. */
/**
 * Compares the search index with the rows; with --repair, re-derives what differs and checks again. Exit 1 when the
 * index is (still) wrong, so scripts and monitoring can act on it.
 */
async function searchCheckCommand(options: GlobalOptions & { repair?: boolean }): Promise<ExitCode> {
  return withContext(options, async ({ app }) => {
    const index = app.get(SearchIndexService);
    const found = options.repair ? await index.repair() : await index.check();
    const after = options.repair ? await index.check() : found;
    const describe = (report: SearchIndexReport) =>
      `missing terms ${report.missingTerms}, stale terms ${report.staleTerms}, ` +
      `miscounted counters ${report.miscountedCounters}`;
    const clean = (report: SearchIndexReport) =>
      report.missingTerms + report.staleTerms + report.miscountedCounters === 0;
    const text = options.repair
      ? clean(found)
        ? 'search index: right, nothing to repair'
        : `search index: repaired (${describe(found)}); now ${clean(after) ? 'right' : describe(after)}`
      : `search index: ${clean(found) ? 'right' : describe(found)}`;
    emit(options, options.repair ? { found, after } : found, text);
    if (!options.json && !clean(after)) {
      for (const drift of after.examples)
        process.stderr.write(`${drift.kind}: ${JSON.stringify(drift.term)} ${drift.mediaFileId ?? drift.counter}\n`);
    }
    return clean(after) ? ExitCode.Ok : ExitCode.Failure;
  });
}

async function jobCommand(job: MaintenanceJob, options: GlobalOptions): Promise<ExitCode> {
  return withContext(options, async ({ app }) => {
    const jobs = app.get(MaintenanceJobs);
    let progress: ProgressBar | undefined;
    if (job === 'verify-integrity') {
      const [{ count, bytes }] = await app
        .get(DataSource)
        .query<Array<{ count: number; bytes: string }>>(
          `SELECT count(*)::int AS count, coalesce(sum(size), 0)::bigint AS bytes FROM stored_objects`,
        );
      progress = new ProgressBar(!options.json, 'objects', count, Number(bytes));
    }
    const renditions = job === 'generate-renditions' ? watchRenditions(app.get(RenditionsService), options) : undefined;
    let lastBytes = 0;
    try {
      const result = await jobs.run(job, {
        onVerifyProgress: ({ bytes }) => {
          progress?.addBytes(bytes - lastBytes);
          progress?.itemDone();
          lastBytes = bytes;
        },
      });
      progress?.stop();
      await renditions?.stop();
      const { job: _job, durationMs, ...counts } = result;
      const text = `${job}: ${describeCounts(counts)} (${durationMs} ms)`;
      emit(options, result, text);
      // Verification that found damage is a failure for scripts.
      const damaged = job === 'verify-integrity' && (Number(counts.missing) > 0 || Number(counts.corrupt) > 0);
      return damaged ? ExitCode.Failure : ExitCode.Ok;
    } catch (error) {
      progress?.stop();
      await renditions?.stop();
      if (error instanceof JobAlreadyRunningException) throw new CliError(error.message, ExitCode.Failure);
      throw error;
    }
  });
}

/** `key=value` pairs; a nested report (verify's `renditions`) as `renditions.key=value`. */
function describeCounts(counts: Record<string, unknown>, prefix = ''): string {
  return Object.entries(counts)
    .map(([key, value]) => {
      if (Array.isArray(value)) return `${prefix}${key}=${value.join(',') || '-'}`;
      if (value && typeof value === 'object') return describeCounts(value as Record<string, unknown>, `${key}.`);
      return `${prefix}${key}=${String(value)}`;
    })
    .join(' ');
}

/**
 * The bar of `generate-renditions`: the queue's counts by status, read every half second while the job runs (done =
 * ready, failed or unsupported, of every job).
 */
function watchRenditions(service: RenditionsService, options: GlobalOptions): { stop(): Promise<void> } {
  const bar = new CountBar(!options.json, 'contents');
  let reading: Promise<void> = Promise.resolve();
  const refresh = () => {
    reading = reading
      .then(() => service.countByStatus())
      .then((counts) => {
        const done = counts.ready + counts.failed + counts.unsupported;
        const total = done + counts.pending + counts.running;
        bar.update(done, total, `ready ${counts.ready}, failed ${counts.failed}, unsupported ${counts.unsupported}`);
      })
      .catch(() => undefined); // a missed refresh only delays the bar
  };
  refresh();
  const timer = setInterval(refresh, 500);
  return {
    async stop() {
      clearInterval(timer);
      refresh();
      await reading;
      bar.stop();
    },
  };
}

async function usersCreateCommand(
  email: string,
  options: GlobalOptions & { role: UserRole; password?: string },
): Promise<ExitCode> {
  const password = options.password ?? process.env.MEDIAVAULT_PASSWORD ?? (await promptPassword());
  if (password.length < 8) throw new CliError('The password must be at least 8 characters', ExitCode.Usage);
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || hasInvisibleCharacter(email)) {
    throw new CliError(`${email} is not an email address (or holds invisible characters)`, ExitCode.Usage);
  }
  return withContext(options, async ({ app }) => {
    try {
      const user = await app.get(UsersService).create(email, password, options.role);
      const view = toUserView(user);
      emit(options, view, `Created ${view.role} ${view.email} (${view.id})`);
      return ExitCode.Ok;
    } catch (error) {
      if (error instanceof EmailTakenException) throw new CliError(`A user with email ${email} already exists`);
      throw error;
    }
  });
}

/** Reads a password from the terminal without echoing it; refuses when there is no terminal to ask. */
async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError('No password: pass --password, set MEDIAVAULT_PASSWORD, or run in a terminal', ExitCode.Usage);
  }
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const ask = (question: string) =>
    new Promise<string>((resolveAnswer) => {
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      muted = false;
      output.write(question);
      muted = true;
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolveAnswer(answer);
      });
    });
  const first = await ask('Password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) throw new CliError('The passwords do not match', ExitCode.Usage);
  return first;
}

export function buildProgram(run: (work: () => Promise<ExitCode>) => void): Command {
  const program = new Command('mediavault')
    .description('mediavault command line: import trees, run maintenance jobs, create users')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const globals = (command: Command) =>
    command
      .option('--json', 'print one JSON document on stdout (no progress bar)')
      .option('--verbose', 'print the server log lines on stderr');

  globals(
    program
      .command('import')
      .description('import a directory tree as pending files (or media files with --approve); safe to re-run')
      .argument('<dir>', 'directory to import (symbolic links are not followed)')
      .option('--approve', 'approve every imported file (title from the filename)')
      .option('--folder <path>', 'folder path prefix; subdirectories are kept below it', '')
      .option('--as <email>', 'uploader (and reviewer with --approve); default ADMIN_EMAIL'),
  ).action((dir: string, options: Parameters<typeof importCommand>[1]) => run(() => importCommand(dir, options)));

  const jobs: Array<[string, MaintenanceJob, string]> = [
    ['gc', 'collect-garbage', 'collect garbage: unneeded contents, orphan objects, the deletion outbox'],
    ['verify', 'verify-integrity', 're-hash every stored object (exit 1 if any is missing or corrupt)'],
    ['expire-pending', 'expire-pending', 'expire pending files past their expiry'],
    ['purge-trash', 'purge-trash', 'purge trashed files older than TRASH_RETENTION_DAYS'],
    ['generate-renditions', 'generate-renditions', 'queue contents without current renditions and render them here'],
  ];
  for (const [name, job, description] of jobs) {
    globals(program.command(name).description(description)).action((options: GlobalOptions) =>
      run(() => jobCommand(job, options)),
    );
  }

  globals(
    program
      .command('search:check')
      .description('compare the search index with the files (exit 1 if it differs); --repair re-derives what differs')
      .option('--repair', 're-derive the terms of the files that differ and recount the counters, then check again'),
  ).action((options: Parameters<typeof searchCheckCommand>[0]) => run(() => searchCheckCommand(options)));

  globals(
    program
      .command('users:create')
      .description('create a user (password from --password, MEDIAVAULT_PASSWORD, or a prompt)')
      .argument('<email>')
      .addOption(new Option('--role <role>', 'role').choices(['admin', 'member']).default('member'))
      .option('--password <password>', 'password (prefer MEDIAVAULT_PASSWORD: arguments show in ps)', (value) => {
        if (value.length < 8) throw new InvalidArgumentError('must be at least 8 characters');
        return value;
      }),
  ).action((email: string, options: Parameters<typeof usersCreateCommand>[1]) =>
    run(() => usersCreateCommand(email, options)),
  );
  return program;
}

async function main(argv: string[]): Promise<void> {
  let pending: Promise<ExitCode> | undefined;
  const program = buildProgram((work) => {
    pending = work();
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; anything else is a usage error.
      process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage);
    }
    throw error;
  }
  if (!pending) {
    program.outputHelp({ error: true });
    process.exit(ExitCode.Usage);
  }
  // A command whose work stalled with nothing left to wait on would otherwise end with a silent exit code 0.
  process.once('beforeExit', () => {
    process.stderr.write('mediavault: the command stopped without finishing (internal error)\n');
    process.exit(ExitCode.Failure);
  });
  let code: ExitCode;
  try {
    code = await pending;
  } catch (error) {
    const json = argv.includes('--json');
    if (error instanceof CliError) {
      process.stderr.write(`mediavault: ${error.message}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
      code = error.exitCode;
    } else {
      process.stderr.write(`mediavault: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (json)
        process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
      code = ExitCode.Failure;
    }
  }
  process.exit(code);
}

void main(process.argv);
