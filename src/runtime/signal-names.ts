// A signal's name from its number, as this platform numbers them.
import { constants } from 'node:os';

const names = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** SIGTERM for 15; null for a number that names no signal here. */
export function signalName(signo: number): NodeJS.Signals | null {
  return names.get(signo) ?? null;
}
