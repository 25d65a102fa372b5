import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from './paths';

let cached: string | undefined;
export function appVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
  return cached;
}
