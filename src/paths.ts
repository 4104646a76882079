// Where the package lives on disk (the embedded model and static assets resolve against it).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the source: this is a bug');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
