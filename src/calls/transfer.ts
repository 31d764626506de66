/**
 * Who takes a transferred call now: the office's transfer bands read against the office's hours today
 * (closures and special hours applied) and the call's urgency. Pure, so the rule is testable across days.
 */
import type { ClientConfig, TransferBand } from '../config/client-schema.js';
import { officeHoursToday } from '../customers/office-hours.js';

export interface TransferTargets {
  /** For an ordinary call; undefined when no band fits the moment. */
  normal: TransferBand | undefined;
  /** For a call the agent says is urgent: an urgent-only band first, else the ordinary one. */
  urgent: TransferBand | undefined;
}

function fits(band: TransferBand, openNow: boolean): boolean {
  return band.when === 'always' || (band.when === 'office_hours') === openNow;
}

export function transferTargets(config: ClientConfig, now: Date): TransferTargets {
  const bands = config.transfer.bands;
  if (bands.length === 0) return { normal: undefined, urgent: undefined };
  const { openNow } = officeHoursToday(config, now);
  const normal = bands.find((band) => !band.urgentOnly && fits(band, openNow));
  const urgent = bands.find((band) => band.urgentOnly && fits(band, openNow)) ?? normal;
  return { normal, urgent };
}
