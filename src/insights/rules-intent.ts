/**
 * Intent rules, English and Spanish. A call can match several intents ("cancel Wednesday and rebook Friday");
 * `INTENT_PRECEDENCE` in classify.ts decides, so the more specific request wins over a generic "appointment".
 */
import { rule, type Rule } from './rule.js';

const APPT = String.raw`(?:appointment|appt|consultation|consult|cleaning|visit|session|meeting|reservation|booking|one i booked|the one)`;
const CITA = String.raw`(?:cita|consulta|reservacion|limpieza|sesion)`;
/** Filler words between a verb and "appointment" that are not themselves another request ("need to cancel my appointment"). */
const FILLER = String.raw`(?:(?!cancel|move|change|reschedul|push|confirm|cambiar|mover|reprogramar|confirmar|about)\w+ )`;

export const INTENT_RULES: Rule[] = [
  // reschedule
  rule(
    'intent',
    'reschedule',
    'move_appointment',
    new RegExp(String.raw`\b(?:move|change|push(?: back)?|switch|shift|bump)\s+(?:my|the|our|his|her|this)?\s*(?:\w+\s+)?${APPT}`, 'g'),
  ),
  rule('intent', 'reschedule', 'reschedule_word', /\b(?:reschedul\w*|re-schedul\w*|rebook\w*|re-book\w*|reprogram\w*|reagend\w*)/g),
  rule('intent', 'reschedule', 'cancel_and_rebook', /\bcancel\w*\b[^.?!]{0,60}\b(?:and|y)\s+(?:re-?book|book|schedule|agendar|hacer otra)\b/g, { weight: 2 }),
  rule('intent', 'reschedule', 'cambiar_cita', new RegExp(String.raw`\b(?:cambiar|mover|pasar|recorrer)\s+(?:\w+\s+){0,4}${CITA}`, 'g')),
  rule('intent', 'reschedule', 'another_day', /\b(?:different|another|other) (?:day|time|date)\b|\botro dia\b|\botra fecha\b/g, { weight: 0.5 }),
  // cancel
  rule('intent', 'cancel', 'cancel_word', /\bcancel(?:l?ing|l?ed|lation|ar|arla|arlo|o|e)?\b/g),
  rule(
    'intent',
    'cancel',
    'cant_make_it',
    /\b(?:won'?t|will not|can'?t|cannot|not going to|not gonna) (?:be able to )?(?:make it|come|attend)\b|\bya no (?:va|voy|vamos) a (?:poder )?ir\b|\bno (?:voy|va) a poder ir\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'cancel',
    'no_longer_need',
    new RegExp(String.raw`\b(?:don'?t|do not) need (?:the|my) ${APPT} anymore\b|\bya no necesito (?:la|mi) ${CITA}\b`, 'g'),
    { negatable: false },
  ),
  // complaint
  rule('intent', 'complaint', 'complaint_word', /\b(?:complaint|complain\w*|queja|quejarme|reclamo)\b/g, { weight: 2 }),
  rule(
    'intent',
    'complaint',
    'unhappy_with',
    /\b(?:not happy|unhappy|dissatisfied|disappointed|not satisfied) with (?:the|your|my)\b|\bno (?:estoy|quede) (?:contenta?|satisfecha?) con\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'complaint',
    'charged_wrongly',
    /\b(?:billed|charged) (?:me )?(?:twice|double|two times)\b|\b(?:charged|billed) (?:me )?for (?:an? |the )?[\w-]+(?: \w+)? (?:i|we) never\b|\bcobraron de mas\b|\bcobraron (?:dos veces|doble)\b|\bovercharg\w*/g,
    { negatable: false },
  ),
  rule('intent', 'complaint', 'made_mistake', /\b(?:made|there (?:was|were)) (?:a |an )?(?:mistake|error)s?\b|\btenia errores\b|\b(?:se )?equivocaron\b/g, {
    negatable: false,
  }),
  rule(
    'intent',
    'complaint',
    'not_fixed',
    /\bnothing (?:got|was|has been) fixed\b|\b(?:same|the) (?:noise|problem|leak|issue) is back\b|\bregresaron peor\b|\bquedo peor\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'complaint',
    'staff_behaviour',
    /\b(?:was|were) (?:so |very )?rude\b|\bleft (?:\w+ )?(?:mud|mess|dirt)\b|\bmal servicio\b|\bpesimo servicio\b|\bfalta de respeto\b/g,
    { negatable: false },
  ),
  // wrong number
  rule('intent', 'wrong_number', 'wrong_number', /\bwrong number\b|\bnumero equivocado\b|\bme equivoque de numero\b|\bequivoque de numero\b/g, {
    negatable: false,
    weight: 3,
  }),
  rule(
    'intent',
    'wrong_number',
    'is_this_elsewhere',
    /\b(?:is this|isn'?t this|es esta|no es esta?) (?:dr\.? |doctor |the |la |el )?[a-z'.]+(?:'s)? (?:office|pharmacy|pizza|restaurant|clinic|school|bank|store|farmacia|clinica|oficina|tienda)\s*\?/g,
    { negatable: false, weight: 3 },
  ),
  rule(
    'intent',
    'wrong_number',
    'not_this_business',
    /\bis this (?:not )?(?:dr\.? |the |a )?[\w'.]+(?:'s)? (?:office|place|pharmacy|pizza|restaurant|clinic)\b[^.?!]*\?\s*[^.?!]*\b(?:my mistake|sorry|oops)\b|\bno es la (?:farmacia|pizzeria|tienda|clinica|escuela)\b|\btrying to reach the\b/g,
    { negatable: false, weight: 3 },
  ),
  // status
  rule('intent', 'status', 'refund', /\b(?:refund|reembolso|devolucion|cheque del irs)\b/g, { negatable: false }),
  rule(
    'intent',
    'status',
    'is_it_ready',
    /\b(?:is|if) (?:my|the|it) (?:\w+ )?(?:ready|done|finished)\b|\bready yet\b|\bis it done\b|\b(?:ya )?esta list[oa] mi\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'status',
    'check_on',
    /\b(?:check(?:ing)? on|status of|update on|where (?:you|we) are with|news on)\b|\bhow(?:'s| is) my (?:return|case|order|claim|repair)\b|\bcomo va mi\b|\bque paso con mi\b|\b(?:el )?estado de mi\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'status',
    'was_it_filed',
    /\b(?:did you (?:guys )?(?:file|send|submit)|was (?:filed|submitted|sent)|went (?:in|through)|(?:if|whether) my (?:\w+ )?(?:return|extension|amendment|claim|application) (?:was|went|got|has)|(?:ya )?(?:mandaron|enviaron|presentaron) mi)\b/g,
    { negatable: false },
  ),
  rule(
    'intent',
    'status',
    'not_heard',
    /\bhaven'?t heard (?:anything|back)\b|\b(?:would|should|was supposed to) be ready\b|\bno (?:me )?han (?:llamado|avisado)\b|\bdijeron que (?:estaria|iba a estar) list[oa]\b/g,
    { negatable: false },
  ),
  rule('intent', 'status', 'lab_results', /\b(?:lab|test) results\b|\bresultados\b/g, { negatable: false }),
  // existing appointment
  rule(
    'intent',
    'existing_appointment',
    'when_is_mine',
    new RegExp(
      String.raw`\b(?:when|what time|what day|where|which (?:office|location|day)) (?:is|was) (?:my|our|the) (?:next )?${APPT}\b|\b(?:which|what) (?:office|location|address) is my ${APPT}\b|\bdo i (?:have|still have) (?:an|my) ${APPT}\b|\bconfirm (?:my|the) ${APPT}\b|\btell me when it is\b|\bcuando (?:es|era|tengo) (?:mi|la) ${CITA}\b|\ba que hora (?:es|tengo|era) (?:mi |la )?${CITA}\b|\bconfirmar (?:\w+ ){0,4}${CITA}\b|\btengo (?:una )?${CITA}\b[^.?!]*\?`,
      'g',
    ),
    { weight: 2 },
  ),
  // speak to a person
  rule(
    'intent',
    'speak_to_person',
    'real_person',
    /\b(?:speak|talk|transfer me|put me through|connect me)(?: to| with)? (?:a |an |someone|somebody|anyone|the )?(?:real |live |actual )?(?:person|human|someone|somebody|representative|agent|operator|manager|owner|receptionist|front desk|my preparer|my accountant)\b|\b(?:operator|representative|human)\s*[.!?]/g,
    { weight: 1 },
  ),
  rule(
    'intent',
    'speak_to_person',
    'named_staff',
    /\b(?:is \w+ (?:in|there|available)\b(?![^.?!]*\b(?:order|stock)\b)|(?:speak|talk) (?:to|with) (?:mr\.? |mrs\.? |ms\.? |dr\.? )?[a-z]+ about\b|(?:speak|talk) (?:to|with) (?:mr\.? |mrs\.? |ms\.? |dr\.? )?(?!a\b|an\b|the\b|you\b|someone\b|somebody\b)[a-z]+\s*[.?!])/g,
  ),
  rule(
    'intent',
    'speak_to_person',
    'hablar_con',
    /\b(?:hablar|comunicar(?:me)?|pasar(?:me)?) con (?:una persona|alguien|la senora|el senor|la licenciada|el licenciado|un humano|una persona real|recepcion|[a-z]+\b(?= ?[?.!]))|\bcomunicar con una persona\b/g,
  ),
  // book
  rule(
    'intent',
    'book',
    'book_verb',
    new RegExp(
      String.raw`\b(?:book|schedule|set up|make|get|need|want|like|request)(?: me)?(?: in| for)?(?: an?| another| my| the| her| him)? ${FILLER}{0,3}${APPT}s?\b`,
      'g',
    ),
  ),
  rule('intent', 'book', 'book_me', /\b(?:book(?: me)?(?: in)?|sign me up|set (?:it|something) up|schedule (?:me|it|something))\b/g),
  rule('intent', 'book', 'come_in', /\b(?:come in|bring (?:him|her|them|it) in|stop by|see me|get me in|fit me in)\b/g),
  rule(
    'intent',
    'book',
    'send_someone',
    /\b(?:send (?:someone|somebody|a (?:tech|technician|plumber))|(?:someone|somebody|you) (?:to )?(?:come|coming) (?:out|over|by|look|take a look|and look)|(?:someone|somebody) (?:come )?take a look|need someone (?:here|out|for)|need (?:someone|somebody)\b(?! to call))/g,
  ),
  rule(
    'intent',
    'book',
    'get_done',
    /\b(?:get|have) my (?:taxes|return|teeth|car|hair) (?:done|cleaned|fixed|looked at)\b|\btaxes done\b|\b(?:do|file|prepare) my (?:taxes|return)\b|\b(?:just|only) (?:the |a |my )?(?:usual|regular|normal) (?:return|taxes|tax return|cleaning|check-?up|service)\b|\b(?:hacer|declarar|preparar) (?:mi|mis) (?:declaracion|impuestos|taxes)\b/g,
  ),
  rule(
    'intent',
    'book',
    'cita_verb',
    new RegExp(
      String.raw`\b(?:hacer|sacar|agendar|programar|quiero|necesito|quisiera|apartar|pedir|reservar)(?: una| otra| la| mi)? ${FILLER}{0,2}${CITA}\b|\buna ${CITA} (?:para|el|este|la proxima)\b`,
      'g',
    ),
  ),
  rule(
    'intent',
    'book',
    'pueden_venir',
    /\b(?:pueden|puede) venir\b|\bmandar a alguien\b|\bnecesito a alguien\b|\batender(?:me|nos)? hoy\b|\bme pueden atender\b|\bquiero volver\b/g,
  ),
  rule('intent', 'book', 'bare_book', /(?<=^|\n)\s*(?:book|booking|appointment|schedule|cita)\s*[.!]?\s*(?=\n|$)/g, { weight: 0.5 }),
  // documents
  rule(
    'intent',
    'documents',
    'what_to_bring',
    /\b(?:what|which)(?: (?:exactly|documents|papers|forms|paperwork))? (?:do|should|must|shall) (?:i|we) (?:need to )?(?:bring|send|have|prepare)\b|\bwhat (?:i|we) (?:need|have|should) (?:to )?bring\b|\b(?:which|what) (?:documents|papers|paperwork|forms)\b|\bwhat exactly should i bring\b/g,
  ),
  rule(
    'intent',
    'documents',
    'send_form',
    /\b(?:send|email|e-mail|upload|drop off|fax) (?:over )?(?:you )?(?:my|the|it)\b[^.?!]{0,30}\b(?:form|forms|1098|1099|w-?2|1095|statement|document|documents|copy|copies)\b|\b(?:can|should) i (?:email|e-mail|upload|send|fax) it\b|\bwhere should i send\b/g,
  ),
  rule(
    'intent',
    'documents',
    'que_documentos',
    /\bque (?:documentos|papeles|formas|formularios)\b|\b(?:documentos|papeles) (?:tengo|necesito|debo)\b|\bque (?:tengo|necesito|debo) (?:que )?(?:llevar|traer|mandar|enviar)\b/g,
  ),
  // pricing
  rule(
    'intent',
    'pricing',
    'how_much',
    /\bhow much\b|\bwhat(?:'s| is| are| do you)? (?:the |your )?(?:price|cost|fee|rate|charge)\w*\b|\b(?:price|cost|fee|fees|rates) for\b|\bdo you charge\b|\bcharge extra\b|\bfree consultations?\b|\bflat fee\b/g,
  ),
  rule('intent', 'pricing', 'cuanto', /\bcuanto (?:cuesta|cobran|cobra|sale|es|vale|seria)\b|\b(?:el )?precio\b|\bcuanto me\b/g),
  // services
  rule(
    'intent',
    'services',
    'do_you_do',
    /\bdo you (?:guys |all )?(?:do|handle|offer|work (?:on|with)|take|help with|fix|repair|treat|see|service|prepare|file)\b|\bwondering if you (?:\w+ )?(?:do|work|handle|offer|take|fix|help)\b|\b(?:something|anything) you (?:can|could) help with\b|\bcan you (?:guys )?help (?:me )?with\b|\bdo you have (?:a |an )?(?:\w+ )?(?:service|specialist|program)\b/g,
  ),
  rule(
    'intent',
    'services',
    'ustedes_hacen',
    /\b(?:ustedes )?(?:hacen|atienden|ayudan con|arreglan|reparan|trabajan con|manejan|ofrecen)\b[^.?!]*\?|\b(?:me )?pueden ayudar con\b/g,
  ),
  // other: a stated purpose outside the vocabulary
  rule(
    'intent',
    'other',
    'hours_location',
    /\bwhat time do you (?:open|close)\b|\b(?:your|the) (?:hours|address)\b|\bwhere are you located\b|\bis there parking\b|\ba que hora (?:abren|cierran)\b|\bhorario\b|\bdonde (?:estan|quedan) ubicados\b/g,
  ),
  rule(
    'intent',
    'other',
    'job_or_sales',
    /\b(?:hiring|resume|job opening|apply for (?:a|the) job|whoever (?:buys|handles purchasing)|i'?m with [a-z]+ (?:[a-z]+ )?(?:supply|supplies|marketing|solutions|inc|llc|company)|trabajo|solicitud de empleo)\b/g,
  ),
  rule('intent', 'other', 'thanks_to_staff', /\b(?:wanted|want|calling) to (?:say|say a) (?:thank you|thanks)\b|\bdar las gracias\b/g),
];
