// One Powertools logger, metrics and tracer per Lambda environment, configured from its
// environment (POWERTOOLS_* variables).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const logger = new Logger();
// Metrics' own warnings go through the structured logger (its level applies), not the console.
export const metrics = new Metrics({ logger });
export const tracer = new Tracer();
