import { describe, expect, it } from 'vitest';
import { PermanentError } from '../core/errors.js';
import {
  TEMPLATE_KINDS,
  TEMPLATE_VARIABLES,
  TemplateRenderError,
  knownTemplateVariables,
  renderTemplate,
  templateVariables,
  unknownTemplateVariables,
} from './templates.js';

describe('templateVariables', () => {
  it('lists each variable once, in order of first use, with spaces inside braces trimmed', () => {
    expect(templateVariables('Hi {{ first_name }}, {{office_name}} here. Bye {{first_name}}.')).toEqual(['first_name', 'office_name']);
  });

  it('finds nothing in plain text', () => {
    expect(templateVariables('See you soon!')).toEqual([]);
  });
});

describe('known variables', () => {
  it('gives every kind the common variables', () => {
    for (const kind of TEMPLATE_KINDS) {
      expect(TEMPLATE_VARIABLES[kind]).toEqual(expect.arrayContaining(['first_name', 'office_name', 'office_phone']));
    }
  });

  it('gives appointment kinds the appointment variables, and only rescheduled the previous time', () => {
    expect(TEMPLATE_VARIABLES.confirmation).toContain('appointment_time_spoken');
    expect(TEMPLATE_VARIABLES.reminder_1h).toContain('what_to_bring');
    expect(TEMPLATE_VARIABLES.nurture_day1).not.toContain('appointment_time_spoken');
    expect(TEMPLATE_VARIABLES.rescheduled).toContain('previous_appointment_time_spoken');
    expect(TEMPLATE_VARIABLES.confirmation).not.toContain('previous_appointment_time_spoken');
  });

  it('offers the opt-out text to SMS and the unsubscribe link to email only', () => {
    expect(knownTemplateVariables('nurture_day1', 'sms')).toContain('opt_out_text');
    expect(knownTemplateVariables('nurture_day1', 'sms')).not.toContain('unsubscribe_link');
    expect(knownTemplateVariables('nurture_day1', 'email')).toContain('unsubscribe_link');
  });
});

describe('unknownTemplateVariables', () => {
  it('reports typos and variables from another kind', () => {
    expect(unknownTemplateVariables('confirmation', 'sms', 'Hi {{firstname}} at {{appointment_time_short}}')).toEqual(['firstname']);
    expect(unknownTemplateVariables('nurture_day4', 'sms', 'Your visit is {{appointment_time_short}}')).toEqual(['appointment_time_short']);
    expect(unknownTemplateVariables('confirmation', 'sms', 'Unsubscribe: {{unsubscribe_link}}')).toEqual(['unsubscribe_link']);
  });

  it('accepts a template that uses only known variables', () => {
    expect(unknownTemplateVariables('rescheduled', 'email', '{{ previous_appointment_time_spoken }} {{unsubscribe_link}}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('fills every variable, spaces inside braces or not', () => {
    expect(
      renderTemplate('Hi {{ first_name }}, see you {{appointment_time_short}}.', {
        first_name: 'Dana',
        appointment_time_short: 'Tue 2/3 2:30 PM',
      }),
    ).toBe('Hi Dana, see you Tue 2/3 2:30 PM.');
  });

  it('refuses to render when a used variable has no value, naming every missing one', () => {
    const render = () =>
      renderTemplate('Hi {{first_name}}, bring {{what_to_bring}} at {{appointment_time_short}}', {
        first_name: 'Dana',
        what_to_bring: '   ',
      });
    expect(render).toThrow(TemplateRenderError);
    try {
      render();
    } catch (error) {
      expect((error as TemplateRenderError).missing).toEqual(['what_to_bring', 'appointment_time_short']);
      expect((error as Error).message).toContain('{{what_to_bring}}, {{appointment_time_short}}');
    }
  });

  it('treats null and empty values as missing', () => {
    expect(() => renderTemplate('Hi {{first_name}}', { first_name: null })).toThrow(/first_name/);
    expect(() => renderTemplate('Hi {{first_name}}', { first_name: '' })).toThrow(/first_name/);
  });

  it('is a permanent error, so the outbox does not retry it', () => {
    expect(() => renderTemplate('{{office_name}}', {})).toThrow(PermanentError);
  });

  it('ignores values the template does not use', () => {
    expect(renderTemplate('Thanks!', { first_name: 'Dana' })).toBe('Thanks!');
  });

  it('escapes values for HTML when asked', () => {
    expect(renderTemplate('<p>{{customer_name}}</p>', { customer_name: 'Lee & <Co>' }, { html: true })).toBe('<p>Lee &amp; &lt;Co&gt;</p>');
  });
});
