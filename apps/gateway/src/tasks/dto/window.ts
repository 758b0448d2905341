const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
export const MAX_WINDOW_SECONDS = 30 * 86_400;

/** "90s", "15m", "1h", "7d" → seconds; undefined for anything else or beyond 30 days. */
export function parseWindow(window: string): number | undefined {
  const match = /^([1-9]\d{0,6})([smhd])$/.exec(window);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds <= MAX_WINDOW_SECONDS ? seconds : undefined;
}
