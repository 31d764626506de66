/**
 * Every migration, in order. Static imports (not a folder scan) so the list works the same from
 * TypeScript sources, the compiled build and a bundled CLI. Forward-only: never edit a shipped one.
 */
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_calls_customers.js';
import * as m0003 from './0003_booking.js';
import * as m0004 from './0004_messaging.js';
import * as m0005 from './0005_crm.js';
import * as m0006 from './0006_dashboard.js';
import * as m0007 from './0007_retell_indexes.js';
import * as m0008 from './0008_webhook_event_text.js';
import * as m0009 from './0009_sender_pacing.js';
import * as m0010 from './0010_offices.js';
import * as m0011 from './0011_transfer_callbacks.js';
import * as m0012 from './0012_callback_task_note.js';
import * as m0013 from './0013_onboardings.js';
import * as m0014 from './0014_outbox_unsettled.js';
import * as m0015 from './0015_user_invites.js';
import * as m0016 from './0016_crm_lead_status.js';
import * as m0017 from './0017_sign_in_limits.js';
import * as m0018 from './0018_appointment_attendance.js';
import * as m0019 from './0019_call_insights.js';
import * as m0020 from './0020_analytics.js';
import * as m0021 from './0021_provider_chains.js';
import * as m0022 from './0022_caller_language.js';
import * as m0024 from './0024_analytics_insights.js';
import * as m0026 from './0026_staff_calendars.js';
import * as m0028 from './0028_caller_memory_staff.js';
import * as m0030 from './0030_profile_on_customer.js';
import * as m0031 from './0031_analytics_marks_never_wait.js';

export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_calls_customers': m0002,
  '0003_booking': m0003,
  '0004_messaging': m0004,
  '0005_crm': m0005,
  '0006_dashboard': m0006,
  '0007_retell_indexes': m0007,
  '0008_webhook_event_text': m0008,
  '0009_sender_pacing': m0009,
  '0010_offices': m0010,
  '0011_transfer_callbacks': m0011,
  '0012_callback_task_note': m0012,
  '0013_onboardings': m0013,
  '0014_outbox_unsettled': m0014,
  '0015_user_invites': m0015,
  '0016_crm_lead_status': m0016,
  '0017_sign_in_limits': m0017,
  '0018_appointment_attendance': m0018,
  '0019_call_insights': m0019,
  '0020_analytics': m0020,
  '0021_provider_chains': m0021,
  '0022_caller_language': m0022,
  '0024_analytics_insights': m0024,
  '0026_staff_calendars': m0026,
  '0028_caller_memory_staff': m0028,
  '0030_profile_on_customer': m0030,
  '0031_analytics_marks_never_wait': m0031,
};
