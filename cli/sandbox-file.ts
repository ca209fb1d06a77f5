// The connection file a serving sandbox (npm start -- --serve) writes and `fsx-backup --local`
// reads: the sandbox's endpoints, table names and state machine, and the process serving them.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, SANDBOX_HINT } from './errors.js';

export interface SandboxConnection {
  region: string;
  stage: string;
  stackName: string;
  endpoints: { dynamodb: string; fsx: string; scheduler: string; stepfunctions: string };
  policiesTable: string;
  runsTable: string;
  stateMachineArn: string;
  scheduleGroup: string;
  pid: number;
  /**
   * How the sandbox's virtual clock relates to the wall clock: it read `virtual` when the wall
   * clock read `wall`, and runs `speed` times faster. Lets the CLI tell elapsed times.
   */
  clock?: { virtual: string; wall: string; speed: number };
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** `FSX_BACKUP_SANDBOX`, or `.sandbox/sandbox.json` in the project. */
export function sandboxFilePath(): string {
  return process.env.FSX_BACKUP_SANDBOX || join(projectRoot, '.sandbox', 'sandbox.json');
}

export function writeSandboxFile(connection: SandboxConnection, path = sandboxFilePath()): string {
  mkdirSync(dirname(path), { recursive: true });
  // Written aside and renamed, so a reader never sees half a file.
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(connection, null, 2)}\n`);
  renameSync(partial, path);
  return path;
}

export function removeSandboxFile(path = sandboxFilePath()): void {
  rmSync(path, { force: true });
}

/** Reads the connection file and checks that the sandbox that wrote it is still running. */
export function readSandboxFile(path = sandboxFilePath()): SandboxConnection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new EnvironmentError(`no sandbox is running (${path} does not exist): ${SANDBOX_HINT}`, { cause: e });
  }
  let connection: SandboxConnection;
  try {
    connection = JSON.parse(text) as SandboxConnection;
  } catch (e: unknown) {
    throw new EnvironmentError(`${path} is not a sandbox connection file (not JSON): ${SANDBOX_HINT}`, { cause: e });
  }
  const missing = ['region', 'policiesTable', 'runsTable', 'stateMachineArn', 'pid', 'endpoints'].filter((k) => !(k in connection));
  if (missing.length) throw new EnvironmentError(`${path} lacks ${missing.join(', ')}: ${SANDBOX_HINT}`);
  if (!isAlive(connection.pid)) {
    throw new EnvironmentError(`the sandbox that wrote ${path} (pid ${connection.pid}) is no longer running: ${SANDBOX_HINT}`);
  }
  return connection;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    // EPERM: the process exists but belongs to someone else.
    return (e as { code?: string }).code === 'EPERM';
  }
}
