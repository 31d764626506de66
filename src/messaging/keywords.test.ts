import { describe, expect, it } from 'vitest';
import { aClientConfig, aClientConfigInput } from '../../test/fixtures/config/a-client-config.js';
import { clientConfigSchema } from '../config/client-schema.js';
import { DEFAULT_REPLIES } from '../config/sms-keywords.js';
import { inboundReply } from './inbound.js';
import { classifyInbound, type InboundIntent } from './keywords.js';
import { smsSegments } from './segments.js';

type Row = [body: string, intent: InboundIntent, language: 'en' | 'es'];

/** Every row is one text as a person might send it; the office speaks English unless a test says otherwise. */
const TABLE: Row[] = [
  // English keywords, alone, in any case and with punctuation or emoji around them
  ['STOP', 'stop', 'en'],
  [' stop ', 'stop', 'en'],
  ['Stop.', 'stop', 'en'],
  ['STOP 🛑', 'stop', 'en'],
  ['Unsubscribe', 'stop', 'en'],
  ['optout', 'stop', 'en'],
  ['Opt-out', 'stop', 'en'],
  ['Quit.', 'stop', 'en'],
  ['STOPALL', 'stop', 'en'],
  ['revoke', 'stop', 'en'],
  ['Cancel', 'stop', 'en'],
  ['END!', 'stop', 'en'],
  ['start', 'start', 'en'],
  ['UNSTOP', 'start', 'en'],
  ['help', 'help', 'en'],
  ['Help?', 'help', 'en'],
  // English: asking to stop with extra words (FCC 2025: any reasonable means)
  ['Stop please', 'revocation', 'en'],
  ['Cancel please', 'revocation', 'en'],
  ['please STOP!!!', 'revocation', 'en'],
  ['Stop it now', 'revocation', 'en'],
  ['stop stop stop', 'revocation', 'en'],
  ['ok, unsubscribe. thanks', 'revocation', 'en'],
  ["STOP, I'm not interested", 'revocation', 'en'],
  ['I already filed with someone else. STOP', 'revocation', 'en'],
  ['Hi, stop please', 'revocation', 'en'],
  ['stop texting me pls', 'revocation', 'en'],
  ['Please stop sending me these messages', 'revocation', 'en'],
  ["Please don't text me anymore", 'revocation', 'en'],
  ['Do not contact me again', 'revocation', 'en'],
  ['no more texts', 'revocation', 'en'],
  ['Remove me from your list', 'revocation', 'en'],
  ['Take my number off your list', 'revocation', 'en'],
  ['Remove me', 'revocation', 'en'],
  ['remove me please', 'revocation', 'en'],
  ['unsubscribe me', 'revocation', 'en'],
  ['How do I opt out of these?', 'revocation', 'en'],
  ["I don't know how to unsubscribe", 'revocation', 'en'],
  ["Why don't you stop texting me", 'revocation', 'en'],
  ['I already filed. Stop the reminders', 'revocation', 'en'],
  // English look-alikes that must NOT opt out
  ["I'll stop by at 3", 'message', 'en'],
  ['Can you stop by the office tomorrow?', 'message', 'en'],
  ["Don't stop", 'message', 'en'],
  ["Please don't stop texting me reminders, they help", 'message', 'en'],
  ["I don't want to unsubscribe", 'message', 'en'],
  ['I need to cancel my appointment', 'message', 'en'],
  ['The end of the month works', 'message', 'en'],
  ['I quit my job, can I still deduct the commute?', 'message', 'en'],
  ['Where do I park? Any stop nearby for the bus?', 'message', 'en'],
  ['start time?', 'message', 'en'],
  ['Help me find my W-2', 'message', 'en'],
  ['Can you remove me from the 3pm slot and put me at 4?', 'message', 'en'],
  ['Can you stop by? End of day works', 'message', 'en'],
  ["Cancel, I'll call to reschedule", 'message', 'en'],
  ['Yes', 'message', 'en'],
  // Spanish keywords, alone, with or without accents, any case
  ['ALTO', 'stop', 'es'],
  ['alto', 'stop', 'es'],
  ['Álto', 'stop', 'es'],
  ['¡Alto!', 'stop', 'es'],
  ['PARAR', 'stop', 'es'],
  ['Pare', 'stop', 'es'],
  ['cancelar', 'stop', 'es'],
  ['DETENER', 'stop', 'es'],
  ['Baja', 'stop', 'es'],
  ['NO MÁS', 'stop', 'es'],
  ['no mas', 'stop', 'es'],
  ['No más.', 'stop', 'es'],
  ['ALTA', 'start', 'es'],
  ['Comenzar', 'start', 'es'],
  ['SÍ', 'start', 'es'],
  ['si', 'start', 'es'],
  ['Sí 👍', 'start', 'es'],
  ['AYUDA', 'help', 'es'],
  ['¿Ayuda?', 'help', 'es'],
  // Spanish: asking to stop with extra words or in plain language
  ['Alto por favor', 'revocation', 'es'],
  ['Baja por favor', 'revocation', 'es'],
  ['ya basta', 'revocation', 'es'],
  ['Hola. ALTO. Ya no me interesa', 'revocation', 'es'],
  ['No más, gracias', 'revocation', 'es'],
  ['Deja de enviarme mensajes', 'revocation', 'es'],
  ['Por favor dejen de escribirme', 'revocation', 'es'],
  ['No me manden más mensajes', 'revocation', 'es'],
  ['Ya no me envíen más', 'revocation', 'es'],
  ['no quiero recibir mas mensajes', 'revocation', 'es'],
  ['No más mensajes por favor', 'revocation', 'es'],
  ['Quiero darme de baja', 'revocation', 'es'],
  ['Sáquenme de su lista', 'revocation', 'es'],
  ['Paren los textos', 'revocation', 'es'],
  ['No, dejen de enviarme recordatorios', 'revocation', 'es'],
  // Spanish false friends: the words appear, the meaning is not "stop texting me"
  ['El precio es alto', 'message', 'es'],
  ['Vivo en Baja California', 'message', 'es'],
  ['Hubo una baja en mi sueldo', 'message', 'es'],
  ['¿Para mañana a las 3?', 'message', 'es'],
  ['No pude parar en la oficina ayer', 'message', 'es'],
  ['Necesito cancelar mi cita', 'message', 'es'],
  ['No más tacos después de la cita jaja', 'message', 'es'],
  ['No me alto', 'message', 'es'],
  ['No. Más tarde', 'message', 'es'],
  ['Vivo en Tijuana, Baja', 'message', 'es'],
  ['Sí, a las 3 está bien', 'message', 'es'],
  ['Sí, gracias', 'message', 'es'],
  ['Necesito ayuda con mi declaración', 'message', 'es'],
  ['No dejen de enviarme recordatorios', 'message', 'es'],
  ['No quiero darme de baja', 'message', 'es'],
  ['Me dio de alta el doctor', 'message', 'es'],
  ['¿Hay una parada del autobús cerca?', 'message', 'es'],
  ['Alto Manhattan, ¿tienen oficina ahí?', 'message', 'es'],
  ['Para el lunes está bien', 'message', 'es'],
  ['Basta con traer el W-2?', 'message', 'es'],
  ['Stop by whenever, I am home all day', 'message', 'en'],
];

describe('inbound keyword table', () => {
  const english = aClientConfig({ language: 'en' });
  const spanish = aClientConfig({ language: 'es-US' });

  it.each(TABLE)('%j is %s (%s)', (body, intent, language) => {
    // A plain message takes the office's language; a keyword or phrase keeps its own whatever the office speaks.
    const office = intent === 'message' && language === 'es' ? spanish : english;
    expect(classifyInbound(body, office)).toEqual({ intent, language });
    if (intent !== 'message') expect(classifyInbound(body, language === 'es' ? english : spanish)).toEqual({ intent, language });
  });

  it('has rows enough in both languages, including look-alikes', () => {
    const count = (predicate: (row: Row) => boolean) => TABLE.filter(predicate).length;
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
    expect(count(([, intent, language]) => intent === 'message' && language === 'en')).toBeGreaterThanOrEqual(8);
    expect(count(([, intent, language]) => intent === 'message' && language === 'es')).toBeGreaterThanOrEqual(8);
  });

  it('a word in both languages (INFO) answers in the office language', () => {
    expect(classifyInbound('info', aClientConfig({ language: 'es' }))).toEqual({
      intent: 'help',
      language: 'es',
    });
    expect(classifyInbound('info', aClientConfig({ language: 'en' }))).toEqual({
      intent: 'help',
      language: 'en',
    });
  });

  it("an office's own words are added to the built-in ones, never replace them", () => {
    const office = aClientConfig({
      sms: { keywords: { optOut: { es: ['Ya no'] }, optIn: { en: ['YES'] } } },
    });
    expect(classifyInbound('ya no', office)).toEqual({
      intent: 'stop',
      language: 'es',
    });
    expect(classifyInbound('Yes!', office)).toEqual({
      intent: 'start',
      language: 'en',
    });
    expect(classifyInbound('ALTO', office)).toEqual({
      intent: 'stop',
      language: 'es',
    });
    expect(classifyInbound('Yes', aClientConfig())).toEqual({
      intent: 'message',
      language: 'en',
    });
  });
});

describe('keyword configuration', () => {
  const problems = (sms: unknown) => {
    const result = clientConfigSchema.safeParse(aClientConfigInput({ sms }));
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('refuses a word that already means something else, and unknown reply variables', () => {
    expect(problems({ keywords: { optIn: { en: ['stop'] } } })).toEqual(['sms.keywords.optIn.en.0: "stop" is already a optOut word']);
    expect(problems({ replies: { es: { help: 'Llame a {{first_name}}' } } })).toEqual([
      'sms.replies.es.help: unknown variable {{first_name}}; a keyword reply may use office_name, office_phone, office_email, office_address',
    ]);
    expect(problems({ keywords: { help: { es: ['🛟'] } } })).toEqual(['sms.keywords.help.es.0: must contain a letter or digit']);
  });

  it('an office without an sms block gets the defaults', () => {
    expect(aClientConfig().sms).toEqual({
      keywords: {
        optOut: { en: [], es: [] },
        optIn: { en: [], es: [] },
        help: { en: [], es: [] },
      },
      replies: { en: {}, es: {} },
    });
  });
});

describe('keyword replies', () => {
  const office = aClientConfig();

  it('answer in the language of the keyword; English opt-out is the office template', () => {
    expect(inboundReply(office, { intent: 'stop', language: 'es' })).toBe(
      `${office.name}: Listo, ya no le enviaremos mensajes de texto. Para volver a recibirlos responda ALTA. ¿Preguntas? Llame al (602) 555-0117.`,
    );
    expect(inboundReply(office, { intent: 'revocation', language: 'en' })).toContain("You're unsubscribed");
    expect(inboundReply(office, { intent: 'help', language: 'es' })).toContain(`escriba a ${office.officeEmail}`);
    expect(inboundReply(office, { intent: 'start', language: 'en' })).toBe(
      `${office.name}: You're subscribed to our texts again. Reply HELP for help, STOP to opt out.`,
    );
    expect(inboundReply(office, { intent: 'message', language: 'es' })).toBeUndefined();
  });

  it('an office may override the Spanish replies', () => {
    const own = aClientConfig({
      sms: {
        replies: {
          es: { optOut: '{{office_name}}: Ya no recibira mensajes.' },
        },
      },
    });
    expect(inboundReply(own, { intent: 'stop', language: 'es' })).toBe(`${own.name}: Ya no recibira mensajes.`);
  });

  it('the default Spanish replies stay in GSM-7 (one 160-character segment each)', () => {
    for (const text of Object.values(DEFAULT_REPLIES.es)) {
      const rendered = text
        .replace('{{office_name}}', 'Smart Tax Nation')
        .replace('{{office_phone}}', '(212) 555-0142')
        .replace('{{office_email}}', 'office@smarttaxnation.example');
      expect(smsSegments(rendered)).toMatchObject({
        encoding: 'GSM-7',
        segments: 1,
      });
    }
  });
});
