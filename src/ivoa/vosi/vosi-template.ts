/** The static VO documents and templates of `vo-resources/`, read once and filled per request. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where vo-resources/ is, from src/ivoa/vosi (tsx) or dist/src/ivoa/vosi (built). */
function resourcesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'vo-resources');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('vo-resources/ not found beside the program');
}

/** The text of a file in vo-resources/. */
export function readResource(name: string): string {
  return fs.readFileSync(path.join(resourcesDir(), name), 'utf8');
}

/** Replace every `{{name}}` with its value (already escaped for the document's syntax). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`template value '${name}' missing`);
    return v;
  });
}
