// The contract between the backup-run state machine and the code around it: error names the
// handlers throw, functions serverless.yml deploys, and a graph with no dangling or dead states.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as errors from '../../functions/shared/errors.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface Rule {
  ErrorEquals: string[];
  Next?: string;
}
interface State {
  Type: string;
  Resource?: unknown;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string }[];
  Retry?: Rule[];
  Catch?: Rule[];
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}
interface StateMachine {
  StartAt: string;
  States: Record<string, State>;
}

const asl = JSON.parse(read('statemachines/backup-run.asl.json')) as StateMachine;
const serverless = parseYaml(read('serverless.yml')) as { functions: Record<string, unknown> };
const states = Object.entries(asl.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');

const successors = (s: State): string[] => [
  ...(s.Next ? [s.Next] : []),
  ...(s.Default ? [s.Default] : []),
  ...(s.Choices ?? []).map((c) => c.Next),
  ...(s.Catch ?? []).map((c) => c.Next).filter((n): n is string => n !== undefined),
];

/** The `name` an instance of each exported error class carries at run time. */
const thrownErrorNames = new Set(
  (Object.values(errors) as unknown[])
    .filter((v): v is new (message: string) => Error => typeof v === 'function' && v.prototype instanceof Error)
    .map((ErrorClass) => new ErrorClass('probe').name),
);

describe('the backup-run state machine', () => {
  it('only retries or catches custom errors that errors.ts declares and an exported error class throws by that name', () => {
    const custom = states
      .flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])])
      .flatMap((rule) => rule.ErrorEquals)
      .filter((name) => !name.startsWith('States.'));
    expect(custom.length).toBeGreaterThan(0);
    for (const name of new Set(custom)) {
      expect(errors.stateMachineErrorNames, `${name} is not in stateMachineErrorNames`).toContain(name);
      expect(thrownErrorNames, `no exported error class is named ${name}`).toContain(name);
    }
  });

  it('declares for the state machine only error names that an exported error class really has', () => {
    for (const name of errors.stateMachineErrorNames) expect(thrownErrorNames).toContain(name);
  });

  it('invokes, in every task, a function that serverless.yml deploys', () => {
    const deployed = Object.keys(serverless.functions);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      const resource = task.Resource as { 'Fn::GetAtt'?: unknown };
      expect(Object.keys(resource), `${name} must name its function with Fn::GetAtt only`).toEqual(['Fn::GetAtt']);
      const [fn, attribute] = resource['Fn::GetAtt'] as [string, string];
      expect(deployed, `${name} invokes ${fn}`).toContain(fn);
      expect(attribute).toBe('Arn');
    }
  });

  it('moves only to states that exist', () => {
    expect(asl.States[asl.StartAt]).toBeDefined();
    for (const [name, state] of states) {
      for (const next of successors(state)) expect(asl.States[next], `${name} moves to missing state "${next}"`).toBeDefined();
    }
  });

  it('can reach every state from where it starts', () => {
    const reached = new Set<string>([asl.StartAt]);
    const queue = [asl.StartAt];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      for (const next of successors(asl.States[name] as State)) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    expect([...reached].sort()).toEqual(Object.keys(asl.States).sort());
  });

  it('ends only in the final task or a terminal state, and every other state moves on', () => {
    for (const [name, state] of states) {
      const terminal = state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true;
      expect(terminal || successors(state).length > 0, `${name} neither ends nor moves on`).toBe(true);
    }
  });

  it('retries every task on any error, except the errors that no retry can fix', () => {
    for (const [name, task] of tasks) {
      const retry = task.Retry ?? [];
      expect(retry.length, `${name} has no Retry`).toBeGreaterThan(0);
      expect(retry.at(-1)?.ErrorEquals, `${name} does not retry States.ALL last`).toEqual(['States.ALL']);
      const neverRetried = retry.filter((r) => (r as { MaxAttempts?: number }).MaxAttempts === 0).flatMap((r) => r.ErrorEquals);
      expect(neverRetried).toEqual(expect.arrayContaining(['InvalidTaskInputError', 'ConfigurationError']));
    }
  });

  it('catches a failure that outlived its retries in every task but the final one, which has no catch', () => {
    const finalTasks = tasks.filter(([, t]) => t.End === true);
    expect(finalTasks.map(([name]) => name)).toEqual(['Finish run']);
    for (const [name, task] of tasks) {
      if (task.End === true) {
        expect(task.Catch, `${name} is the final task and has nowhere to go`).toBeUndefined();
      } else {
        expect(task.Catch?.length, `${name} has no Catch`).toBeGreaterThan(0);
        expect(task.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')), `${name} does not catch States.ALL`).toBe(true);
      }
    }
  });

  it('waits as long as the previous task asked, through SecondsPath', () => {
    const waits = states.filter(([, s]) => s.Type === 'Wait');
    expect(waits.length).toBeGreaterThan(0);
    for (const [name, wait] of waits) {
      expect(wait.SecondsPath, `${name} must use SecondsPath`).toMatch(/^\$\./);
      expect(wait.Seconds ?? wait.Timestamp ?? wait.TimestampPath).toBeUndefined();
    }
  });
});
