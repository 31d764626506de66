/**
 * The office form's bookable people (issue 20, `staff` in the office document): each person's name, id, own calendar,
 * own hours (or the office's) and the appointment types they take (or all). The server validates on save; its
 * problems show beside the field they are about. Removing the last person removes `staff`: the office books in its
 * own calendar again.
 */
import { FieldProblems, problemsAt, type Problem } from '../problems';
import { HoursEditor } from './Offices';

type Range = { open: string; close: string };
type Hours = Record<string, Range[]>;

export interface Person {
  id: string;
  name: string;
  calendarId: string;
  businessHours?: Hours;
  appointmentTypes?: string[];
}

export interface Staff {
  assignment?: 'round_robin' | 'first_listed';
  people: Person[];
}

/** Where the person's calendar id comes from, per calendar provider. */
const CALENDAR_HINTS: Record<string, string> = {
  zoho: "the Zoho calendar's UID (Zoho Calendar → Settings → My calendars → the calendar → Calendar UID)",
  google: 'the Google calendar id, e.g. name@group.calendar.google.com (Settings of that calendar → Integrate calendar)',
  microsoft: "the Outlook calendar's id in the connected mailbox (Microsoft Graph: /me/calendars)",
};

/** "Maya Chen" → "maya-chen": a suggested id while the id has not been typed by hand. */
function idFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

export function StaffEditor({
  staff,
  appointmentTypes,
  officeHours,
  calendarProvider,
  problems,
  disabled,
  onChange,
}: {
  staff: Staff | undefined;
  appointmentTypes: Array<{ id: string; name: string }>;
  officeHours: Hours;
  calendarProvider: string;
  problems: Problem[];
  disabled?: boolean;
  onChange(next: Staff | undefined): void;
}) {
  const people = staff?.people ?? [];
  const setPeople = (next: Person[]) => onChange(next.length === 0 ? undefined : { ...staff, assignment: staff?.assignment ?? 'round_robin', people: next });
  const update = (index: number, change: (person: Person) => Person) => setPeople(people.map((person, i) => (i === index ? change(person) : person)));
  const hint = CALENDAR_HINTS[calendarProvider] ?? "the calendar's id in the office's calendar provider";

  return (
    <div className="staff-editor" aria-label="Bookable people" role="group">
      {people.length === 0 ? (
        <p className="muted">
          Nobody listed: appointments go into the office's own calendar. Add people to give each their own calendar, hours and appointment types; the agent then
          offers each slot with a named person.
        </p>
      ) : (
        <label className={problemsAt(problems, 'staff.assignment').length ? 'has-problem' : ''}>
          When several people are free, a caller who names nobody gets
          <select
            value={staff?.assignment ?? 'round_robin'}
            disabled={disabled}
            onChange={(event) => onChange({ ...staff!, assignment: event.target.value as Staff['assignment'] })}
          >
            <option value="round_robin">the person with the fewest upcoming appointments (round robin)</option>
            <option value="first_listed">the first person in this list who is free</option>
          </select>
          <FieldProblems problems={problems} path="staff.assignment" />
        </label>
      )}
      {people.length > 0 && <p className="muted">Calendar id: {hint}. Keep a person's id when renaming them: booked appointments refer to it.</p>}
      {people.map((person, index) => {
        const path = `staff.people[${index}]`;
        const who = person.name.trim() || `Person ${index + 1}`;
        const everyType = person.appointmentTypes === undefined;
        const takes = new Set(person.appointmentTypes ?? []);
        return (
          <fieldset key={index} className="person" data-person={index}>
            <legend>{who}</legend>
            <div className="row">
              <label className={problemsAt(problems, `${path}.name`).length ? 'has-problem' : ''}>
                Name
                <input
                  value={person.name}
                  disabled={disabled}
                  aria-label={`Person ${index + 1} name`}
                  onChange={(event) => {
                    const name = event.target.value;
                    // The id follows the name until someone types one; after that, renaming keeps the id (booked
                    // appointments refer to it).
                    update(index, (current) => ({
                      ...current,
                      name,
                      ...(current.id === '' || current.id === idFrom(current.name) ? { id: idFrom(name) } : {}),
                    }));
                  }}
                />
                <FieldProblems problems={problems} path={`${path}.name`} />
              </label>
              <label className={problemsAt(problems, `${path}.id`).length ? 'has-problem' : ''}>
                Id
                <input
                  value={person.id}
                  disabled={disabled}
                  aria-label={`Person ${index + 1} id`}
                  onChange={(event) => update(index, (current) => ({ ...current, id: event.target.value }))}
                />
                <FieldProblems problems={problems} path={`${path}.id`} />
              </label>
              <label className={`grow ${problemsAt(problems, `${path}.calendarId`).length ? 'has-problem' : ''}`}>
                Calendar id
                <input
                  value={person.calendarId}
                  disabled={disabled}
                  aria-label={`Person ${index + 1} calendar id`}
                  placeholder={hint}
                  onChange={(event) => update(index, (current) => ({ ...current, calendarId: event.target.value }))}
                />
                <FieldProblems problems={problems} path={`${path}.calendarId`} />
              </label>
              <button type="button" disabled={disabled} onClick={() => setPeople(people.filter((_, i) => i !== index))}>
                Remove {who}
              </button>
            </div>
            <label className="check">
              <input
                type="checkbox"
                checked={person.businessHours !== undefined}
                disabled={disabled}
                onChange={(event) =>
                  update(index, ({ businessHours: _dropped, ...rest }) =>
                    event.target.checked ? { ...rest, businessHours: structuredClone(officeHours) } : rest,
                  )
                }
              />
              Own working hours (otherwise the office's)
            </label>
            {person.businessHours !== undefined && (
              <HoursEditor
                hours={person.businessHours}
                path={`${path}.businessHours`}
                label={who}
                problems={problems}
                disabled={disabled}
                onChange={(hours) => update(index, (current) => ({ ...current, businessHours: hours }))}
              />
            )}

            <fieldset className="types" aria-label={`${who}: appointment types`}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={everyType}
                  disabled={disabled}
                  onChange={(event) =>
                    update(index, ({ appointmentTypes: _dropped, ...rest }) =>
                      event.target.checked ? rest : { ...rest, appointmentTypes: appointmentTypes.map((type) => type.id) },
                    )
                  }
                />
                Takes every appointment type
              </label>
              {!everyType &&
                appointmentTypes.map((type) => (
                  <label key={type.id} className="check">
                    <input
                      type="checkbox"
                      checked={takes.has(type.id)}
                      disabled={disabled}
                      onChange={(event) =>
                        update(index, (current) => ({
                          ...current,
                          appointmentTypes: appointmentTypes
                            .map((candidate) => candidate.id)
                            .filter((id) => (id === type.id ? event.target.checked : takes.has(id))),
                        }))
                      }
                    />
                    {type.name}
                  </label>
                ))}
              <FieldProblems problems={problems} path={`${path}.appointmentTypes`} />
            </fieldset>
            <FieldProblems problems={problems.filter((problem) => problem.path === path)} path={path} />
          </fieldset>
        );
      })}
      <button type="button" disabled={disabled} onClick={() => setPeople([...people, { id: '', name: '', calendarId: '' }])}>
        Add a bookable person
      </button>
      <FieldProblems problems={problems.filter((problem) => problem.path === 'staff' || problem.path === 'staff.people')} path="staff" />
    </div>
  );
}
