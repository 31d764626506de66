/** Times are always shown in the client's zone, with the zone named. */

export function formatTime(iso: string | null | undefined, zone: string, options: { date?: boolean } = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const text = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    ...(options.date === false ? {} : { month: 'short', day: 'numeric' }),
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
  return text;
}

export function formatDay(isoDate: string, zone: string): string {
  // Noon UTC of that date is the same calendar day in every US zone.
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long', month: 'long', day: 'numeric' }).format(new Date(`${isoDate}T12:00:00Z`));
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

export const STATUS_WORDS: Record<string, string> = {
  scheduled: 'Scheduled',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Failed',
  dead: 'Not sent',
  unknown: 'Unknown — check',
  cancelled: 'Cancelled',
  running: 'Running',
  done: 'Done',
  booked: 'Booked',
  ringing: 'Ringing',
  in_progress: 'In progress',
  ended: 'Ended',
  analyzed: 'Ended',
};
