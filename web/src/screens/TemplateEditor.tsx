/**
 * SMS and e-mail templates edited with a live preview: every change is rendered by the server on sample data
 * (debounced), with the SMS segment count and encoding, the characters that force UCS-2, and unknown
 * variables. E-mail HTML is shown only inside a sandboxed frame (no scripts, no same-origin access).
 */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { FieldProblems, type Problem } from '../problems';

export interface EmailTemplate {
  subject: string;
  text: string;
  html?: string;
}

export interface Templates {
  sms: Record<string, string>;
  email: Record<string, EmailTemplate>;
}

export interface Preview {
  text: string;
  subject?: string;
  html?: string;
  segments: number | null;
  encoding: 'GSM-7' | 'UCS-2' | null;
  characters: number;
  unknownVariables: string[];
  nonGsmCharacters: string[];
  problems: string[];
  sample: { callerName: string; appointmentType: string | null; appointmentAt: string | null; officeName: string };
}

export const KIND_WORDS: Record<string, string> = {
  confirmation: 'Booking confirmation',
  reminder_24h: 'Reminder a day before',
  reminder_1h: 'Reminder an hour before',
  rescheduled: 'Moved appointment',
  cancelled: 'Cancelled appointment',
  nurture_day1: 'Follow-up after a call (day 1)',
  nurture_day4: 'Follow-up after a call (day 4)',
  opt_out_confirmation: 'Opt-out confirmation',
};

/** Where the sample data comes from: a served office, or (before the office exists) a template pack. */
export type PreviewScope = { client: string } | { pack: string };

interface Draft {
  channel: 'sms' | 'email';
  kind: string;
  text: string;
  subject?: string;
  html?: string;
  /** The language the draft is written in (dates and fixed sentences follow it). */
  language?: string;
}

/** The office's `translations`: per language, templates that may each be missing (then the default language is sent). */
export type Translations = Record<
  string,
  { templates?: { sms?: Record<string, string>; email?: Record<string, EmailTemplate> }; appointmentTypes?: Record<string, unknown> }
>;

/** Languages the server speaks (src/i18n/phrases), by their own names. */
export const TEMPLATE_LANGUAGES: Record<string, string> = { en: 'English', es: 'Español' };

/** The server's rendering of `draft`, refreshed 300 ms after the last change. */
export function useTemplatePreview(scope: PreviewScope, draft: Draft | undefined): { preview?: Preview; error?: string; pending: boolean } {
  const [state, setState] = useState<{ preview?: Preview; error?: string; pending: boolean }>({ pending: false });
  const key = JSON.stringify([scope, draft]);
  useEffect(() => {
    if (!draft) return;
    let current = true;
    setState((previous) => ({ ...previous, pending: true }));
    const timer = setTimeout(() => {
      api<Preview>('POST', '/v1/api/templates/preview', { ...scope, ...draft })
        .then((preview) => current && setState({ preview, pending: false }))
        .catch((error: Error) => current && setState({ error: error.message, pending: false }));
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // `key` holds every input of the request.
  }, [key]);
  return state;
}

export function PreviewPanel({ channel, state }: { channel: 'sms' | 'email'; state: ReturnType<typeof useTemplatePreview> }) {
  const { preview, error, pending } = state;
  return (
    <div className="preview" aria-live="polite" aria-busy={pending}>
      <h4>Preview {pending && <span className="muted">(updating…)</span>}</h4>
      {error && <p className="error-text">{error}</p>}
      {preview && (
        <>
          <p className="muted">
            Sample: {preview.sample.callerName} at {preview.sample.officeName}
            {preview.sample.appointmentType ? `, ${preview.sample.appointmentType}` : ''}
          </p>
          {channel === 'sms' ? (
            <>
              <div className="sms-bubble" data-testid="preview-text">
                {preview.text}
              </div>
              <p className="segments" data-testid="segments">
                {preview.characters} characters ·{' '}
                <strong>
                  {preview.segments} {preview.segments === 1 ? 'segment' : 'segments'}
                </strong>{' '}
                · {preview.encoding}
                {preview.encoding === 'UCS-2' && preview.nonGsmCharacters.length > 0 && (
                  <> — because of {preview.nonGsmCharacters.map((character) => `“${character}”`).join(' ')} (70 characters a segment instead of 160)</>
                )}
              </p>
            </>
          ) : (
            <>
              <p>
                <strong>Subject:</strong> <span data-testid="preview-subject">{preview.subject}</span>
              </p>
              <pre className="email-text" data-testid="preview-text">
                {preview.text}
              </pre>
              {preview.html && <iframe className="email-html" title="E-mail as it looks (HTML)" sandbox="" srcDoc={preview.html} />}
            </>
          )}
          {preview.unknownVariables.length > 0 && (
            <p className="error-text">Unknown variables: {preview.unknownVariables.map((name) => `{{${name}}}`).join(', ')}</p>
          )}
          {preview.problems.length > 0 && (
            <ul className="problem-list error-text">
              {preview.problems.map((problem, index) => (
                <li key={index}>Would not save: {problem}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

/**
 * Picks one template (channel + kind) and edits it with its preview beside it; with `translations`, the same template
 * in every other language the server speaks stands beside it, each with its own preview, and an untranslated one says
 * plainly that the message goes out in the default language.
 */
export function TemplateEditor({
  templates,
  onChange,
  scope,
  disabled,
  problems,
  defaultLanguage = 'en',
  translations,
  onTranslationsChange,
}: {
  templates: Templates;
  onChange(next: Templates): void;
  scope: PreviewScope;
  disabled?: boolean;
  problems: Problem[];
  defaultLanguage?: string;
  translations?: Translations;
  onTranslationsChange?(next: Translations): void;
}) {
  const choices = [
    ...Object.keys(templates.sms ?? {}).map((kind) => ({ channel: 'sms' as const, kind })),
    ...Object.keys(templates.email ?? {}).map((kind) => ({ channel: 'email' as const, kind })),
  ];
  const [chosen, setChosen] = useState(choices[0] ? `${choices[0].channel}:${choices[0].kind}` : '');
  const [channel, kind = ''] = chosen.split(':') as ['sms' | 'email', string];
  const sms = channel === 'sms' ? templates.sms[kind] : undefined;
  const email = channel === 'email' ? templates.email[kind] : undefined;
  const draft: Draft | undefined =
    sms !== undefined
      ? { channel, kind, text: sms }
      : email
        ? { channel, kind, text: email.text, subject: email.subject, ...(email.html ? { html: email.html } : {}) }
        : undefined;
  const preview = useTemplatePreview(scope, draft);
  const setEmail = (field: keyof EmailTemplate, value: string) => {
    const next: EmailTemplate = { ...templates.email[kind]!, [field]: value };
    // An empty HTML part means "plain text only": leave the key out rather than save an empty template.
    if (field === 'html' && !value) delete next.html;
    onChange({ ...templates, email: { ...templates.email, [kind]: next } });
  };
  const path = `templates.${channel}.${kind}`;
  return (
    <div className="template-editor">
      <label>
        Template
        <select value={chosen} onChange={(event) => setChosen(event.target.value)}>
          {choices.map((choice) => (
            <option key={`${choice.channel}:${choice.kind}`} value={`${choice.channel}:${choice.kind}`}>
              {choice.channel === 'sms' ? 'Text' : 'E-mail'}: {KIND_WORDS[choice.kind] ?? choice.kind}
            </option>
          ))}
        </select>
      </label>
      <div className="editor-columns">
        <div className="compose">
          {sms !== undefined && (
            <label>
              Text message
              <textarea
                rows={6}
                value={sms}
                disabled={disabled}
                onChange={(event) => onChange({ ...templates, sms: { ...templates.sms, [kind]: event.target.value } })}
              />
              <FieldProblems problems={problems} path={path} />
            </label>
          )}
          {email && (
            <>
              <label>
                Subject
                <input value={email.subject} disabled={disabled} onChange={(event) => setEmail('subject', event.target.value)} />
              </label>
              <label>
                Plain text
                <textarea rows={8} value={email.text} disabled={disabled} onChange={(event) => setEmail('text', event.target.value)} />
              </label>
              <label>
                HTML (optional)
                <textarea rows={5} value={email.html ?? ''} disabled={disabled} onChange={(event) => setEmail('html', event.target.value)} />
              </label>
              <FieldProblems problems={problems} path={path} />
            </>
          )}
          <p className="muted">Variables are written like {'{{first_name}}'}; the preview lists any it does not know.</p>
        </div>
        {draft && <PreviewPanel channel={channel} state={preview} />}
      </div>
      {translations &&
        onTranslationsChange &&
        Object.keys(TEMPLATE_LANGUAGES)
          .filter((language) => language !== defaultLanguage.split('-')[0])
          .map((language) => (
            <TranslatedTemplate
              key={`${language}:${chosen}`}
              language={language}
              channel={channel}
              kind={kind}
              translations={translations}
              onChange={onTranslationsChange}
              scope={scope}
              disabled={disabled}
              problems={problems}
              defaultName={TEMPLATE_LANGUAGES[defaultLanguage.split('-')[0] ?? 'en'] ?? defaultLanguage}
            />
          ))}
    </div>
  );
}

function TranslatedTemplate({
  language,
  channel,
  kind,
  translations,
  onChange,
  scope,
  disabled,
  problems,
  defaultName,
}: {
  language: string;
  channel: 'sms' | 'email';
  kind: string;
  translations: Translations;
  onChange(next: Translations): void;
  scope: PreviewScope;
  disabled?: boolean;
  problems: Problem[];
  defaultName: string;
}) {
  const own = translations[language] ?? {};
  const ownTemplates = own.templates ?? {};
  const sms = channel === 'sms' ? ownTemplates.sms?.[kind] : undefined;
  const email = channel === 'email' ? ownTemplates.email?.[kind] : undefined;
  const translated = sms !== undefined || email !== undefined;
  const draft: Draft | undefined =
    sms !== undefined
      ? { channel, kind, text: sms, language }
      : email
        ? { channel, kind, text: email.text, subject: email.subject, language, ...(email.html ? { html: email.html } : {}) }
        : undefined;
  const preview = useTemplatePreview(scope, draft);
  const save = (next: { sms?: string; email?: EmailTemplate } | undefined) => {
    const smsTemplates = { ...(ownTemplates.sms ?? {}) };
    const emailTemplates = { ...(ownTemplates.email ?? {}) };
    if (channel === 'sms') {
      if (next?.sms === undefined) delete smsTemplates[kind];
      else smsTemplates[kind] = next.sms;
    } else if (next?.email === undefined) delete emailTemplates[kind];
    else emailTemplates[kind] = next.email;
    onChange({ ...translations, [language]: { ...own, templates: { sms: smsTemplates, email: emailTemplates } } });
  };
  const setEmail = (field: keyof EmailTemplate, value: string) => {
    const next: EmailTemplate = { ...(email ?? { subject: '', text: '' }), [field]: value };
    if (field === 'html' && !value) delete next.html;
    save({ email: next });
  };
  const path = `translations.${language}.templates.${channel}.${kind}`;
  const name = TEMPLATE_LANGUAGES[language] ?? language;
  return (
    <section className="translation" aria-label={`${name} version`} lang={language}>
      <h4>{name}</h4>
      {!translated && (
        <div className="notice" role="note" data-testid={`missing-${language}`}>
          Not translated: callers who speak {name} get this message in {defaultName}.{' '}
          <button type="button" disabled={disabled} onClick={() => save(channel === 'sms' ? { sms: '' } : { email: { subject: '', text: '' } })}>
            Translate it
          </button>
        </div>
      )}
      {translated && (
        <div className="editor-columns">
          <div className="compose">
            {sms !== undefined && (
              <label>
                Text message ({name})
                <textarea rows={6} value={sms} disabled={disabled} onChange={(event) => save({ sms: event.target.value })} />
              </label>
            )}
            {email && (
              <>
                <label>
                  Subject ({name})<input value={email.subject} disabled={disabled} onChange={(event) => setEmail('subject', event.target.value)} />
                </label>
                <label>
                  Plain text ({name})<textarea rows={8} value={email.text} disabled={disabled} onChange={(event) => setEmail('text', event.target.value)} />
                </label>
                <label>
                  HTML ({name}, optional)
                  <textarea rows={5} value={email.html ?? ''} disabled={disabled} onChange={(event) => setEmail('html', event.target.value)} />
                </label>
              </>
            )}
            <FieldProblems problems={problems} path={path} />
            <button type="button" disabled={disabled} onClick={() => save(undefined)}>
              Remove the {name} version
            </button>
          </div>
          {draft && <PreviewPanel channel={channel} state={preview} />}
        </div>
      )}
    </section>
  );
}
