/**
 * Loads the transforms in this folder. A few files have `{{name}}` slots for fragments rendered from a
 * typed spec (a stream's field list); values are never rendered, they are bound as `$name`.
 */
import fs from 'node:fs';
import path from 'node:path';

const cache = new Map<string, string>();

/** The text of `src/sql/<name>.sql`. */
export function loadSql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(__dirname, `${name}.sql`), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** Fills `{{slot}}`s; a slot without a fragment is an error, so a typo cannot ship. */
export function render(sql: string, fragments: Record<string, string>): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const f = fragments[name];
    if (f === undefined) throw new Error(`SQL slot {{${name}}} has no fragment`);
    return f;
  });
}

/** `loadSql` + `render`. */
export function sqlFile(name: string, fragments: Record<string, string> = {}): string {
  return render(loadSql(name), fragments);
}
