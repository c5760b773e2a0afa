// The page's files: plain HTML, CSS and an ES module in src/web/assets/,
// read once at start from the package (the same directory whether execgate
// runs compiled from dist/ or from src/ under the tests). Served from memory
// by name: no path from a request ever reaches the filesystem.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native/paths.js';

export const assetsDir = join(packageRoot, 'src', 'web', 'assets');

export interface Asset {
  body: Uint8Array;
  type: string;
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'text.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
  'icon-pending.svg': 'image/svg+xml',
};

export function loadAssets(dir = assetsDir): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    try {
      assets.set(name, { body: readFileSync(join(dir, name)), type });
    } catch (err) {
      throw new Error(`the web page's files are missing from the package (${join(dir, name)}): ${(err as Error).message}`);
    }
  }
  return assets;
}
