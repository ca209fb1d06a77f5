// Writes functions/shared/domain/policy-schema.json from the zod policy schema (npm run schema).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from '../functions/shared/domain/policy.js';

const target = fileURLToPath(new URL('../functions/shared/domain/policy-schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
