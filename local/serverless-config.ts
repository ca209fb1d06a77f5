// Reads serverless.yml, the one source of truth for tables and the state machine, so the
// sandbox creates exactly what a deploy creates.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerlessConfig {
  service: string;
  functions: Record<string, { handler: string; timeout?: number; events?: { stream?: { batchSize?: number; maximumRetryAttempts?: number } }[] }>;
  stepFunctions: { stateMachines: Record<string, { name: string; definition: string }> };
  resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  params: { default: Record<string, string | number> };
}

export function readServerlessConfig(): ServerlessConfig {
  return parse(readFileSync(join(projectRoot, 'serverless.yml'), 'utf8')) as ServerlessConfig;
}

/** Resolves the few variables the sandbox needs: service, stage and params. */
export function resolveVariables(value: string, cfg: ServerlessConfig, stage: string): string {
  return value
    .replaceAll('${self:service}', cfg.service)
    .replaceAll('${sls:stage}', stage)
    .replace(/\$\{param:(\w+)\}/g, (_, name: string) => String(cfg.params.default[name] ?? ''));
}

/** The ASL file that serverless.yml deploys for the given state machine key. */
export function stateMachineDefinitionPath(cfg: ServerlessConfig, key: string): string {
  const def = cfg.stepFunctions.stateMachines[key]?.definition ?? '';
  const m = /^\$\{file\((.+)\)\}$/.exec(def.trim());
  if (!m?.[1]) throw new Error(`serverless.yml: state machine ${key} must use definition: \${file(...)}`);
  return join(projectRoot, m[1]);
}
