/** Database and image levels, compared case-insensitively. */
import { LEVELS, type Level } from './model.js';

/** The canonical spelling of a level ('l2' → 'L2'), or null when it is not a level. */
export function canonicalLevel(text: string): Level | null {
  const lower = text.toLowerCase();
  return LEVELS.find((l) => l.toLowerCase() === lower) ?? null;
}

/** True for levels whose databases are private to their owner. */
export function isPrivateLevel(level: Level): boolean {
  return level === 'L3';
}
