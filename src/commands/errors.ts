/** Errors that are the user's to fix: shown as one clear line, never with a stack trace. */
import { ConfigError } from '../config/load.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUserError(err: unknown): boolean {
  return err instanceof UsageError || err instanceof ConfigError;
}
