/**
 * Español (usted). Times are said the way a receptionist says them: "el lunes 7 de diciembre a las nueve de la
 * mañana". Month and weekday names come from Intl (locale es-US); only the numbers of the clock are spelled here,
 * because Intl has no spelled-out numbers. Texts avoid á/í/ó/ú in what Switchboard inserts (ñ, é, ¿ and ¡ are GSM-7):
 * one accented letter turns a whole text into UCS-2 (70 characters a segment instead of 160).
 */
import type { DateTime } from 'luxon';
import type { Phrases } from './types.js';

const UNITS = [
  'cero',
  'uno',
  'dos',
  'tres',
  'cuatro',
  'cinco',
  'seis',
  'siete',
  'ocho',
  'nueve',
  'diez',
  'once',
  'doce',
  'trece',
  'catorce',
  'quince',
  'dieciséis',
  'diecisiete',
  'dieciocho',
  'diecinueve',
  'veinte',
  'veintiuno',
  'veintidós',
  'veintitrés',
  'veinticuatro',
  'veinticinco',
  'veintiséis',
  'veintisiete',
  'veintiocho',
  'veintinueve',
];
const TENS = ['', '', '', 'treinta', 'cuarenta', 'cincuenta'];

/** 0–59 in words ("treinta y cinco"). */
export function spanishNumber(value: number): string {
  if (value < 30) return UNITS[value]!;
  const ones = value % 10;
  const tens = TENS[Math.floor(value / 10)]!;
  return ones === 0 ? tens : `${tens} y ${UNITS[ones]}`;
}

/** "la una y media de la tarde", "las nueve de la mañana", "las doce del mediodía". */
function clockWords(hour: number, minute: number): string {
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  const hourWords = twelve === 1 ? 'la una' : `las ${spanishNumber(twelve)}`;
  const minuteWords = minute === 0 ? '' : minute === 15 ? ' y cuarto' : minute === 30 ? ' y media' : ` y ${spanishNumber(minute)}`;
  const period =
    hour === 0
      ? 'de la noche'
      : hour < 6
        ? 'de la madrugada'
        : hour < 12
          ? 'de la mañana'
          : hour === 12
            ? 'del mediodía'
            : hour < 20
              ? 'de la tarde'
              : 'de la noche';
  return `${hourWords}${minuteWords} ${period}`;
}

/** ", hora de verano oriental": when the hour happens twice, the zone's long name tells which. */
const zoneSuffix = (local: DateTime, ambiguous: boolean) => (ambiguous ? `, ${local.toFormat('ZZZZZ')}` : '');

const day = (local: DateTime) => local.toFormat("'el' cccc d 'de' LLLL");
const clock = (local: DateTime, ambiguous: boolean) => `${clockWords(local.hour, local.minute)}${zoneSuffix(local, ambiguous)}`;

function list(items: string[], word = 'o'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

/** á/í/ó/ú are not GSM-7; é, ñ and ü are. */
const smsSafe = (text: string) => text.replace(/[áíóúÁÍÓÚ]/g, (char) => char.normalize('NFD')[0]!);

const channelAddress = (channel: 'sms' | 'email') => (channel === 'sms' ? 'el número de teléfono' : 'el correo electrónico');
const SAVED_FIELD = { name: 'el nombre', email: 'el correo electrónico', language: 'el idioma', note: 'la nota' } as const;

export const es: Phrases = {
  locale: 'es-US',
  name: 'Español',
  time: {
    spoken: (local, ambiguous) => `${day(local)} a ${clock(local, ambiguous)}`,
    day,
    clock,
    wallClock: (hour, minute) => clockWords(hour, minute),
    short: (local) => smsSafe(local.toFormat('ccc d/L H:mm')),
    date: (local) => local.toFormat("d 'de' LLLL 'de' yyyy"),
  },
  list,
  smsSafe,
  greeting: (officeName, firstName) => (firstName ? `Hola, ${firstName}, gracias por llamar a ${officeName}.` : `Gracias por llamar a ${officeName}.`),
  unnamedCaller: 'cliente',
  hoursToday: (ranges) =>
    ranges.length === 0
      ? 'hoy está cerrado'
      : list(
          ranges.map((range) => `de ${clockWords(range.open.hour, range.open.minute)} a ${clockWords(range.close.hour, range.close.minute)}`),
          'y',
        ),
  optOutText: 'Responda ALTO para no recibir mas mensajes',
  rescheduleInstructions: (officePhone) => `Para cambiar o cancelar su cita, llamenos al ${officePhone}.`,
  noOpenSlots: (officePhone) => `ninguna en los próximos días; llámenos al ${officePhone} y le buscamos una`,

  availability: {
    unknownType: (offered) => `No conozco ese tipo de cita. Ofrecemos: ${offered}. ¿Cuál prefiere la persona que llama?`,
    invalidDate: (field, value) => `El campo ${field} "${value}" no es una fecha; páselo como AAAA-MM-DD.`,
    past: (dayText) => `${capitalize(dayText)} ya pasó. ¿Qué día próximo le conviene?`,
    beyondHorizon: (days, lastDay) => `Solo damos citas con hasta ${days} días de anticipación, hasta ${lastDay}. ¿Qué día anterior le conviene?`,
    springForward: (clockText, dayText) => `${capitalize(clockText)} no existe ${dayText} porque esa noche se adelantan los relojes una hora.`,
    fallBack: (clockText, dayText) => `${capitalize(clockText)} ocurre dos veces ${dayText} porque esa noche se atrasan los relojes; le indico cuál.`,
    partOfDayEmpty: (partOfDay) =>
      `No hay nada libre por la ${partOfDay === 'morning' ? 'mañana' : partOfDay === 'afternoon' ? 'tarde' : 'noche'} ese día, pero sí a otras horas.`,
    offer: (typeName, slots) => `Para la cita de ${typeName.toLowerCase()}, tengo ${list(slots)}. ¿Cuál le conviene más?`,
    nothingOpen: (typeName, fromDay, toDay) =>
      `No hay nada libre para la cita de ${typeName.toLowerCase()} ${toDay === undefined ? fromDay : `entre ${fromDay} y ${toDay}`}.`,
    nearestOpen: (days) => `Los días libres más cercanos son ${list(days.map((entry) => `${entry.day} (desde ${entry.firstOpening})`))}.`,
    noOpeningSoon: 'No encontré ningún hueco en los próximos días; ofrezca que alguien de la oficina le devuelva la llamada.',
    timeNotUnderstood: (text) => `No entendí la hora "${text}". Pida una hora como 2:30 PM.`,
  },
  booking: {
    booked: (typeName, spoken, whatToBring) =>
      `Listo, su cita de ${typeName.toLowerCase()} queda para ${spoken}. Por favor traiga ${whatToBring}. Le enviaremos la confirmación por mensaje de texto.`,
    unknownType: (offered) => `Ofrecemos: ${offered}. ¿Cuál reservo?`,
    invalidStart: 'Necesito la hora de inicio tal como la dio la consulta de disponibilidad (por ejemplo 2026-02-03T14:30:00-05:00).',
    nonexistentStart: (nearest) => `Esa hora no existe esa noche porque se adelantan los relojes; la hora real más cercana es ${nearest}. ¿Lo consulto?`,
    ambiguousStart: (options) => `Esa hora ocurre dos veces esa noche porque se atrasan los relojes: ${list(options)}. ¿Cuál de las dos?`,
    missingPhone: '¿Cuál es el mejor número de teléfono para la cita?',
    notBookable: (spoken, offers) =>
      `No podemos dar cita ${spoken} (fuera de horario, demasiado pronto o demasiado lejos).${offers.length > 0 ? ` Puedo ofrecerle ${list(offers)}.` : ''}`,
    justTaken: (spoken) => `Lo siento, ${spoken} se acaba de ocupar.`,
    noLongerFree: (spoken) => `Lo siento, ${spoken} ya no está libre.`,
    slotTaken: (why, offers) =>
      offers.length > 0 ? `${why} Las horas libres más cercanas son ${list(offers)}. ¿Le conviene alguna?` : `${why} ¿Le conviene otro día?`,
  },
  staff: {
    withPerson: (spoken, name) => `${spoken} con ${name}`,
    unknownPerson: (wanted, names) =>
      names.length > 0
        ? `No conozco a nadie llamado "${wanted}" aquí. Las citas son con ${list(names, 'o')}. ¿Con quién prefiere la persona que llama?`
        : `No conozco a nadie llamado "${wanted}" aquí.`,
    doesNotTake: (name, typeName, others) =>
      `${name} no atiende citas de ${typeName.toLowerCase()}.${others.length > 0 ? ` Para eso, las citas son con ${list(others, 'o')}.` : ''}`,
    nobodyTakes: (typeName) => `Ahora mismo nadie atiende citas de ${typeName.toLowerCase()}; ofrezca que alguien de la oficina le devuelva la llamada.`,
  },
  manage: {
    whichPhone: '¿Con qué número de teléfono se hizo la cita?',
    noneUpcoming: 'No veo ninguna cita próxima con ese número.',
    found: (items) =>
      `Veo ${list(
        items.map((item) => `una cita de ${item.typeName.toLowerCase()} ${item.spoken}`),
        'y',
      )}.`,
    bookingNotFound: 'No encontré esa reserva. ¿La busco por número de teléfono?',
    several: (count, spoken) => `Hay ${count} citas próximas: ${list(spoken)}. ¿Cuál de ellas?`,
    noLongerActive: 'Esa cita ya no está activa. ¿Le reservo una nueva?',
    nonexistentStart: (nearest) => `Esa hora no existe esa noche (se adelantan los relojes); la más cercana es ${nearest}.`,
    ambiguousStart: (options) => `Esa hora ocurre dos veces esa noche: ${list(options)}. ¿Cuál de las dos?`,
    invalidStart: 'Necesito la nueva hora de inicio tal como la dio la consulta de disponibilidad.',
    sameTime: (spoken) => `La cita es ${spoken}.`,
    offerOthers: (why, offers) => (offers.length > 0 ? `${why} Puedo ofrecerle ${list(offers)}.` : `${why} ¿Le conviene otro día?`),
    notBookable: (spoken) => `No podemos dar cita ${spoken}.`,
    taken: (spoken) => `Lo siento, ${spoken} está ocupado.`,
    justTaken: (spoken) => `Lo siento, ${spoken} se acaba de ocupar.`,
    moved: (typeName, from, to) => `Listo: su cita de ${typeName.toLowerCase()} pasó de ${from} a ${to}. Le enviaremos la nueva hora por mensaje de texto.`,
    movedTo: (from, to) => `Listo: la cita pasó${from === undefined ? '' : ` de ${from}`} a ${to}. Le enviaremos la nueva hora por mensaje de texto.`,
    alreadyCancelled: (spoken) => `La cita de ${spoken} está cancelada.`,
    notActive: 'Esa cita no está activa.',
    cancelled: (spoken) => `La cita de ${spoken} está cancelada. Le enviaremos un mensaje de texto para confirmarlo.`,
  },
  unsubscribePage: {
    title: (officeName) => `Cancelar la suscripción a ${officeName}`,
    question: (officeName) => `¿Dejar de recibir correos promocionales de ${officeName}? Las confirmaciones de sus citas le seguirán llegando.`,
    button: 'Cancelar la suscripción',
    doneTitle: 'Suscripción cancelada',
    done: (officeName) => `Ya no recibirá correos promocionales de ${officeName}.`,
  },
  functions: {
    fallback:
      'No pude terminar eso ahora mismo. Dígale a la persona que llama que alguien de la oficina le dará seguimiento, u ofrezca tomar un mensaje para devolverle la llamada.',
    stillProcessing: 'Esa solicitud todavía se está procesando. Espere un momento y vuelva a preguntar.',
    calendarFallback: 'No pude consultar el calendario en este momento. ¿Le parece bien que alguien de la oficina le devuelva la llamada para programarlo?',
    noCallerNumber: 'No puedo guardar datos de una llamada sin número. Dígale a la persona que llama que la oficina tomará nota.',
    saved: (fields) =>
      `Guardé ${list(
        fields.map((field) => SAVED_FIELD[field]),
        'y',
      )} de la persona que llama.`,
    callbackNeedsNumber: 'Necesito un número para devolver la llamada. Pídale su número de teléfono a la persona que llama.',
    callbackNoted: (officeName, preferredTime) =>
      `Anotado: alguien de ${officeName} le devolverá la llamada${preferredTime ? ` ${preferredTime}` : ' lo antes posible'}.`,
    optOutNeeds: (missing) => `Necesito ${list(missing.map(channelAddress), 'y')} de la persona que llama para dejar de enviar mensajes. Pídaselo, por favor.`,
    optedOut: (done, officeName, missing) =>
      `Listo: la persona que llama no recibirá más ${list(done.map((channel) => (channel === 'sms' ? 'mensajes de texto' : 'correos electrónicos')))} de ${officeName}.` +
      (missing.length > 0 ? ` No pude detener los mensajes a ${list(missing.map(channelAddress), 'y')} sin la dirección.` : ''),
    noTransfer: (officeName) =>
      `Nadie en ${officeName} puede tomar una transferencia ahora. Ofrezca que alguien le devuelva la llamada y use request_callback con el motivo.`,
    transferTo: (name, number) => `Transfiera la llamada a ${name} al ${number}.`,
  },
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
