/** Garbage collections on the main thread since `watchGc()` was first called (gc-counts.js). */
export interface GcCounts {
  major: number;
  majorMs: number;
  minor: number;
  minorMs: number;
}

export function watchGc(): GcCounts;
