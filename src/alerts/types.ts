/**
 * The alert port every module raises problems through. The alerts module fans an alert out to the errors
 * table (dashboard), Slack and e-mail, masks PII and folds repeats of one fingerprint within the
 * de-duplication window into one alert with a count. Raising never throws.
 */
export interface AlertInput {
  clientId?: string | null;
  /** Where it happened: retell.webhook, booking, messaging.sms, crm.sync, zoho.oauth, … */
  source: string;
  /** Same fingerprint within the window = one alert with a count (e.g. `crm.sync:LIMIT_EXCEEDED`). */
  fingerprint: string;
  /** A sentence a person can act on; PII is masked before it leaves the process. */
  message: string;
  details?: Record<string, unknown>;
  callId?: string | null;
  severity?: 'warning' | 'error' | 'critical';
}

export interface AlertPort {
  raise(alert: AlertInput): Promise<void>;
}
