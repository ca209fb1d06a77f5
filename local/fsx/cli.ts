// Runs the FSx emulator on its own, for poking at it with the AWS CLI or an SDK:
//   npx tsx local/fsx/cli.ts --fleet examples/fleets/demo.yaml --port 4510 --speed 60
import { parseArgs } from 'node:util';
import type { Clock } from '../../functions/shared/clock.js';
import { startFsxEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    fleet: { type: 'string', default: 'examples/fleets/demo.yaml' },
    port: { type: 'string', default: '4510' },
    host: { type: 'string', default: '127.0.0.1' },
    /** Simulated seconds per real second. */
    speed: { type: 'string', default: '1' },
  },
});

const speed = Number(values.speed);
if (!(speed > 0)) throw new Error(`--speed must be a positive number, got ${values.speed}`);
const started = Date.now();
// Wall time, optionally sped up: a 10-minute backup takes 10 seconds at --speed 60.
const clock: Clock = { now: () => new Date(started + (Date.now() - started) * speed) };

const emulator = await startFsxEmulator({ clock, fleet: values.fleet, port: Number(values.port), host: values.host });
console.log(`FSx emulator on ${emulator.endpoint} (fleet ${values.fleet}, speed ×${speed})`);
console.log(`ground truth: ${emulator.endpoint}/_emulator/backups`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
