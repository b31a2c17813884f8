/**
 * The one way the lake's small JSON objects (pointers, manifests, history, `_state/`) are read: a parse
 * error names the object, so no bare parser message (`Unexpected end of JSON input`) reaches a user.
 */
import { StorageError } from '../errors.js';
import { ObjectStore } from './objectStore.js';

/** Parses the text of `key`; a StorageError naming the object when it is not JSON. */
export function parseJson<T>(store: ObjectStore, key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const why = text.trim() === '' ? 'it is empty' : `it is not valid JSON (${(err as Error).message})`;
    throw new StorageError(`cannot read ${store.describe(key)}: ${why}; it was left by an interrupted or outside write. Rerun the job that writes it with --force, or restore it`, { path: store.describe(key) }, { cause: err });
  }
}

/** A small JSON object, or null when it does not exist; a StorageError naming it when it is not JSON. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const text = await store.readText(key);
  return text === null ? null : parseJson<T>(store, key, text);
}

/**
 * A state object under `_state/` (a progress record, a lock body): one that cannot be parsed is treated
 * as absent, with a warning naming it, since it only speeds up or coordinates work that can be redone.
 */
export function parseState<T>(store: ObjectStore, key: string, text: string | null, warn: (message: string) => void): T | null {
  if (text === null) return null;
  try {
    return parseJson<T>(store, key, text);
  } catch (err) {
    warn(`${(err as Error).message.replace(/\. Rerun.*$/, '')}; treated as absent (stale)`);
    return null;
  }
}

/** `parseState` of the object at `key`. */
export async function readState<T>(store: ObjectStore, key: string, warn: (message: string) => void): Promise<T | null> {
  return parseState<T>(store, key, await store.readText(key), warn);
}
