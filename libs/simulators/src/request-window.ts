/** Length of the window a simulated provider counts requests in, like a real requests-per-minute limit. */
export const REQUEST_WINDOW_MS = 60_000;

export interface RequestWindow {
  /** Counts one request in the current window; returns the count so far and ms until the window resets. */
  hit(): Promise<{ count: number; resetInMs: number }>;
}
