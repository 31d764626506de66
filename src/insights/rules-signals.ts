/**
 * Urgency, sentiment and needs rules, English and Spanish. Urgency follows issue 17: `urgent` is a deadline within
 * 48 hours or an emergency the caller states (levy, garnishment, frozen account, flooding, severe pain, a pet that
 * ate something toxic); `soon` is about a week. Sentiment words count only in the caller's own turns; worry and
 * fear count as negative. Needs are the six flags of the issue and nothing about who the caller is.
 */
import { rule, type Rule } from './rule.js';

/** "mañana" is tomorrow unless it is "la mañana" (the morning). */
const TOMORROW = String.raw`(?:tomorrow|(?<!(?:la|esta|por la|de la|en la) )manana)`;
const TODAY = String.raw`(?:today|tonight|right now|this afternoon|this morning|hoy|ahorita mismo|ahora mismo|esta tarde|esta noche|right away|immediately|asap|now)`;

export const URGENCY_RULES: Rule[] = [
  rule(
    'urgency',
    'urgent',
    'deadline_48h',
    new RegExp(
      String.raw`\b(?:due|deadline|respond|reply|answer|pay|until|by|before|antes de|para|hasta|vence|responder|entregar)\b[^.?!]{0,40}\b(?:${TOMORROW}|${TODAY}|within (?:24|48|twenty-four|forty-eight) hours|end of (?:the )?day)\b|\bwithin (?:24|48|twenty-four|forty-eight) hours\b|\ben (?:24|48) horas\b`,
      'g',
    ),
    { weight: 2 },
  ),
  rule(
    'urgency',
    'urgent',
    'need_today',
    new RegExp(
      String.raw`\b(?:need|see me|come in|send|get (?:me|someone)|can (?:someone|you|i)|bring \w+ in|call me|have them call me|atender(?:me)?|necesito|pueden|puede|venir|saber)\b[^.?!]{0,40}\b${TODAY}\b|\bon my way\b`,
      'g',
    ),
  ),
  rule(
    'urgency',
    'urgent',
    'tax_enforcement',
    /\b(?:levy|levies|levied|garnish\w*|froze|frozen|freeze|seiz\w*|lien|embarg\w*|congela\w*|eviction|evict\w*|desalojo)\b/g,
    { weight: 2 },
  ),
  rule(
    'urgency',
    'urgent',
    'home_emergency',
    /\b(?:flooding|flooded|burst|bursting|gas leak|no heat|sparking|inundando|inundado|se (?:reviento|rompio) (?:un|el|la) (?:tubo|tuberia|cano)|fuga de gas|water everywhere|agua por todos lados)\b/g,
    { weight: 2 },
  ),
  rule(
    'urgency',
    'urgent',
    'health_emergency',
    /\b(?:unbearable|killing me|swelling|swollen|bleeding|can'?t breathe|knocked out|ate (?:a |an |the |some )?(?:whole )?(?:\w+ )?(?:bar of )?(?:\w+ )?(?:chocolate|grapes|poison|rat poison|antifreeze)|poison\w*|emergencia|dolor insoportable|sangrando|hinchad\w*)\b/g,
    { weight: 2 },
  ),
  rule('urgency', 'urgent', 'emergency_word', /\b(?:emergency|urgent|urgente|urgencia)\b/g),
  rule(
    'urgency',
    'soon',
    'this_week',
    /\b(?:this week|next few days|next couple (?:of )?days|in a few days|within (?:a|the) week|by (?:next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the end of the week)|as soon as possible|soon as you can|esta semana|en estos dias|en unos dias|lo antes posible|lo mas pronto posible|antes del? (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|fin de semana))\b/g,
  ),
  rule(
    'urgency',
    'soon',
    'needs_by_day',
    /\b(?:needs?|need it|have to|tengo que|necesita|necesito)\b[^.?!]{0,30}\bby (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|next week)\b/g,
  ),
];

export const SENTIMENT_RULES: Rule[] = [
  rule(
    'sentiment',
    'negative',
    'frustration',
    /\b(?:frustrat\w*|upset|angry|mad|furious|annoy\w*|ridiculous|unacceptable|disappoint\w*|fed up|sick of|whatever(?=\s*[.!]|\s*$)|terrible|awful|horrible|worst|this is (?:crazy|insane)|molest[oa]|enojad[oa]|enfadad[oa]|harta?|furios[oa]|desesperad[oa]|que mal|mal servicio|falta de respeto|ultima vez que vengo|he'?d better|she'?d better|you'?d better|i expect (?:it|this) (?:to be )?fixed)\b/g,
  ),
  rule(
    'sentiment',
    'negative',
    'worry',
    /\b(?:worried|worrying|nervous|anxious|scared|afraid|terrified|panick?\w*|freaking out|stressed|preocupad[oa]|nervios[oa]|asustad[oa]|miedo|angustiad[oa])\b/g,
  ),
  rule(
    'sentiment',
    'negative',
    'unhappy',
    /\b(?:not happy|unhappy|not satisfied|no estoy contenta?|i don'?t want to talk to a robot|losing money|can'?t pay|in trouble|killing me|unbearable|so annoying)\b/g,
    { negatable: false },
  ),
  rule(
    'sentiment',
    'negative',
    'complaint',
    /\b(?:complaint|queja|billed twice|charged twice|cobraron de mas|regresaron peor|nothing got fixed|rude|groser[oa]|mud all over|made a mistake|nobody (?:calls|called|told)|no one (?:calls|called|told))\b/g,
    { negatable: false },
  ),
  rule('sentiment', 'negative', 'distress', /\b(?:flooding|inundando|levy|garnish\w*|froze|congelaron|embargar|pain|dolor|reviento)\b/g),
  rule(
    'sentiment',
    'positive',
    'delight',
    /\b(?:great|awesome|amazing|wonderful|perfect|excellent|fantastic|lovely|love it|sweet|glad|appreciate\w*|thank god|that'?s a relief|a relief|that helps|super helpful|really helpful|so helpful|that was easy|excelente|perfecto|perfecta|maravillos[oa]|que bueno|que bien|muy amable|muy bien|super bien|gracias a dios|genial|encantad[oa])\b/g,
    { selfOnly: false },
  ),
  rule(
    'sentiment',
    'positive',
    'warm_thanks',
    /\b(?:thank you so much|thanks so much|thanks a lot|thank you very much|thanks a million|thank you,? really|thank you,? dear|muchas gracias|mil gracias|muchisimas gracias)\b/g,
  ),
];

export const NEED_RULES: Rule[] = [
  rule(
    'needs',
    'reassurance',
    'worried',
    /\b(?:worried|nervous|anxious|scared|afraid|terrified|panick?\w*|freaking out|stressed out|preocupad[oa]|nervios[oa]|asustad[oa]|(?:tengo|me da) (?:mucho )?miedo|angustiad[oa])\b/g,
  ),
  rule(
    'needs',
    'reassurance',
    'first_time',
    /\b(?:first time|never (?:done|filed|had|did)|(?:don'?t|do not) (?:really )?know how (?:any of )?(?:this|it) works|(?:would|will|am) i (?:be )?in trouble|primera vez|no se nada|nunca he)\b/g,
    { negatable: false },
  ),
  rule(
    'needs',
    'price_sensitive',
    'budget',
    /\b(?:tight budget|on a budget|budget is|money'?s tight|money is tight|can'?t afford|cannot afford|fixed income|too expensive|a bit much|too much|cheaper|cheapest|discount|coupon|es mucho para mi|muy car[oa]s?|mas barat[oa]|descuento|no tengo (?:mucho )?dinero|no me alcanza)\b/g,
    { negatable: false },
  ),
  rule(
    'needs',
    'time_pressed',
    'in_a_hurry',
    /\b(?:in a hurry|in a rush|rushing|make it quick|be quick|real quick|quickly|only have (?:a|one|two|five) (?:minute|second|sec)s?|short on time|on my lunch break|i'?m driving|gotta go|have to go|tengo prisa|estoy de prisa|rapido|rapidito|ando con prisa|no tengo tiempo)\b/g,
  ),
  rule(
    'needs',
    'detail_oriented',
    'exact_steps',
    /\b(?:exact|exactly|step by step|walk me through|breakdown|in writing|(?:give|send) me a list|itemi[sz]ed|paso por paso|exactamente|desglose|por escrito|cada cosa)\b/g,
  ),
  rule(
    'needs',
    'prefers_text',
    'text_me',
    /\b(?:text me|send me a text|(?:rather|prefer)(?: to)? (?:get )?(?:a )?text|just text|by text|via text|through text|(?:mande|mandeme|mandame|envieme|enviame) (?:un |los )?(?:mensaje|texto|detalles)|por (?:texto|mensaje)|no me llame\w*|don'?t call(?: me)?|can'?t (?:answer|take) (?:calls|the phone|at work)|no puedo contestar)\b/g,
    { negatable: false },
  ),
  rule(
    'needs',
    'accessibility',
    'hearing_vision',
    /\b(?:hard of hearing|can'?t hear (?:well|you)|deaf|speak (?:slowly|slower|louder|up)|no oigo bien|hable (?:mas )?despacio|despacio|no veo bien|casi no veo|blind|can'?t see well)\b/g,
    { negatable: false },
  ),
  rule(
    'needs',
    'accessibility',
    'mobility',
    /\b(?:wheelchair|walker|cane|ramp|elevator|can'?t (?:do|climb) stairs|silla de ruedas|andadera|bast[oó]n|rampa|elevador)\b/g,
  ),
  rule(
    'needs',
    'accessibility',
    'someone_with_me',
    /\b(?:(?:come|be) with me|bring (?:my )?(?:caregiver|aide)|need(?:s)? (?:someone|help) (?:to come )?with me|viene conmigo|venir conmigo|acompanarme|me acompana)\b/g,
    { negatable: false },
  ),
  rule(
    'needs',
    'accessibility',
    'language_help',
    /\b(?:interpreter|translator|interprete|traductor|no entiendo (?:el )?ingles|(?:don'?t|do not) understand english|my english (?:is )?(?:no|not) (?:very )?good|alguien que hable espanol|someone who speaks spanish)\b/g,
    { negatable: false },
  ),
];
