/** How the results document writes numbers: one place, so every table and sentence reads alike. */

export const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
export const secondsText = (value: number | null): string => (value === null ? '—' : value.toFixed(2));
export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');
export const mb = (value: number): string => value.toFixed(0);
export const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
/** A share as a goal or a shape states it: 0.05 → "5%", 0.2 → "20%". */
export const share = (value: number): string => `${Number((value * 100).toPrecision(12))}%`;
export const counted = (count: number, one: string, many: string): string =>
  `${integer(count)} ${count === 1 ? one : many}`;

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
