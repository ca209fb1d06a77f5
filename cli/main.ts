// fsx-backup, the operators' CLI: policies, runs and backups of a deployed stage, or of the
// local sandbox with --local. Every failure ends with one of the documented exit codes.
import { Command, CommanderError } from 'commander';
import { registerBackups } from './commands/backups.js';
import { registerPolicies } from './commands/policies.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import type { GlobalOptions } from './context.js';
import { EXIT, exitCodesHelp, explainError } from './errors.js';

const examples = `Examples:
  fsx-backup policies validate examples/policies
  fsx-backup --stage prod policies put examples/policies --dry-run
  fsx-backup policies list
  fsx-backup run prod-daily --wait
  fsx-backup runs list --status FAILED --since 7d
  fsx-backup runs show prod-daily 2026-12-04T01:00:00Z
  fsx-backup backups list --policy prod-daily
  fsx-backup --local runs list          (against npm start -- --serve)`;

const program = new Command('fsx-backup')
  .description('Operate fsx-backup: backup policies, runs and backups of a deployed stage, or of the local sandbox (--local).')
  .option('--json', 'machine-readable output on stdout (and nothing else there)')
  .option('--region <region>', 'AWS Region (default: AWS_REGION, or the profile\'s region)')
  .option('--profile <profile>', 'named profile of the AWS shared config and credentials files')
  .option('--stage <stage>', 'the deployed stage: stack fsx-backup-<stage>, tables fsx-backup-<stage>-policies and -runs', 'dev')
  .option('--local', 'talk to the running sandbox (npm start -- --serve) instead of AWS')
  .exitOverride()
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(fsx-backup --help shows the usage)')
  .addHelpText('after', `\n${exitCodesHelp}\n\n${examples}`);

registerPolicies(program);
registerRun(program);
registerRuns(program);
registerBackups(program);

try {
  await program.parseAsync(process.argv);
} catch (e: unknown) {
  if (e instanceof CommanderError) {
    // Commander has printed the message or the help; help and --version are not errors.
    process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    const opts = program.opts<GlobalOptions>();
    const err = explainError(e, { mode: opts.local ? 'local' : 'aws', stage: opts.stage, region: opts.region });
    console.error(`fsx-backup: ${err.message}`);
    if (process.env.FSX_BACKUP_DEBUG && e instanceof Error) console.error(e.stack);
    process.exitCode = err.exitCode;
  }
}
