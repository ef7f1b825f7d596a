// Where the drill keeps what it makes: its own servers' data, logs, generated files, the process
// registry; and the batch generator it needs from next to this repository.

import path from 'node:path';
import { ROOT } from '../support';

export const DIR = path.join(ROOT, 'var', 'drill');
export const LOGS = path.join(DIR, 'logs');
export const FILES = path.join(DIR, 'files');
export const REGISTRY = path.join(DIR, 'processes.json');
export const GENERATOR = path.resolve(ROOT, '..', 'shared', 'tools', 'gen-residents.mjs');
