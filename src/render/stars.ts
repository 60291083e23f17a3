/** Stars as text: filled for the rating, hollow for the rest of five. */
import type { Stars } from '../result/schema.js';

export function starString(stars: Stars): string {
  return '★'.repeat(stars) + '☆'.repeat(5 - stars);
}
