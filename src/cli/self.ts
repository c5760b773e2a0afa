// How to run this very CLI again (for the tmux popup): node + bin/execgate.js.
import { join } from 'node:path';
import { packageRoot } from '../native/paths.js';

export const cliPath = join(packageRoot, 'bin', 'execgate.js');
