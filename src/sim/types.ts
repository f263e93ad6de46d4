/** Types shared by the simulation's modules. */
import type { z } from 'zod';
import type { configSchema } from '../config/schema.js';

/** Config as written in a file (every field optional): the demo's overrides of the seed's defaults. */
export type DemoConfig = z.input<typeof configSchema>;
