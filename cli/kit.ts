// What every command needs from the command line: the global options and the context they name.
import { InvalidArgumentError, type Command } from 'commander';
import { createContext, type Context, type GlobalOptions } from './context.js';

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function contextOf(cmd: Command): Context {
  return createContext(globalsOf(cmd));
}

export function wantsJson(cmd: Command): boolean {
  return globalsOf(cmd).json === true;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}
