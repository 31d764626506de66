export interface BenchResult {
  name: string;
  backend?: 'pglite' | 'postgres';
  value: number;
  unit: string;
  /** e.g. ">= 2000 rows/s" */
  target?: string;
  ok?: boolean;
  notes?: string;
}
