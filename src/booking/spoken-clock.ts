/** Reads a time of day the way an agent passes it on ("2:30 PM", "2 pm", "14:30", "noon") into "HH:mm". */
export function readSpokenClock(text: string): string | undefined {
  const value = text.trim().toLowerCase().replace(/\./g, '');
  if (value === 'noon') return '12:00';
  if (value === 'midnight') return '00:00';
  const match = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a|p)?$/.exec(value);
  if (!match) return undefined;
  let hour = Number(match[1]);
  const minute = Number(match[2] ?? '0');
  const meridiem = match[3];
  if (minute > 59) return undefined;
  if (meridiem) {
    if (hour < 1 || hour > 12) return undefined;
    if (meridiem.startsWith('a')) hour = hour === 12 ? 0 : hour;
    else hour = hour === 12 ? 12 : hour + 12;
  } else if (hour > 23) return undefined;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}
