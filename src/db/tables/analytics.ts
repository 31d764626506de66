/** Tables of analytics: daily rollups and the days whose rows changed since (migration 0020). */

export interface AnalyticsDailyTable {
  client_id: string;
  /** The office-local day, 'YYYY-MM-DD'. */
  day: string;
  /** A figure's key, e.g. `calls.total`, `intent.book_appointment` (src/analytics/facts.ts). */
  metric: string;
  value: number;
}

export interface AnalyticsDirtyTable {
  client_id: string;
  /** A UTC day some counted row of the office, dated by its figure's moment, changed on. */
  day_utc: string;
}

export interface AnalyticsTables {
  analytics_daily: AnalyticsDailyTable;
  analytics_dirty: AnalyticsDirtyTable;
}
