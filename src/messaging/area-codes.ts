/**
 * NANP area code → US state or Canadian province → IANA zones, for the recipient-zone rule ("area code presumed
 * to show residence", FTSA/OTSA). libphonenumber-js parses and validates numbers but carries no geocoder, so the
 * table lives here. An area code covering places on different clocks lists every zone (its main one first): a
 * send window must hold in all of them, so the recipient is never texted early or late wherever they live.
 */
const AREA_CODES_BY_STATE: Record<string, string> = {
  AL: '205 251 256 334 659 938',
  AK: '907',
  AZ: '480 520 602 623 928',
  AR: '479 501 870',
  CA: '209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 747 760 805 818 820 831 840 858 909 916 925 949 951',
  CO: '303 719 720 970 983',
  CT: '203 475 860 959',
  DE: '302',
  DC: '202 771',
  FL: '239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954',
  GA: '229 404 470 478 678 706 762 770 912 943',
  HI: '808',
  ID: '208 986',
  IL: '217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872',
  IN: '219 260 317 463 574 765 812 930',
  IA: '319 515 563 641 712',
  KS: '316 620 785 913',
  KY: '270 364 502 606 859',
  LA: '225 318 337 504 985',
  ME: '207',
  MD: '227 240 301 410 443 667',
  MA: '339 351 413 508 617 774 781 857 978',
  MI: '231 248 269 313 517 586 616 679 734 810 906 947 989',
  MN: '218 320 507 612 651 763 924 952',
  MS: '228 601 662 769',
  MO: '235 314 417 557 573 636 660 816 975',
  MT: '406',
  NE: '308 402 531',
  NV: '702 725 775',
  NH: '603',
  NJ: '201 551 609 640 732 848 856 862 908 973',
  NM: '505 575',
  NY: '212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934',
  NC: '252 336 472 704 743 828 910 919 980 984',
  ND: '701',
  OH: '216 220 234 283 326 330 380 419 436 440 513 567 614 740 937',
  OK: '405 539 572 580 918',
  OR: '458 503 541 971',
  PA: '215 223 267 272 412 445 484 570 582 610 717 724 814 835 878',
  RI: '401',
  SC: '803 821 839 843 854 864',
  SD: '605',
  TN: '423 615 629 731 865 901 931',
  TX: '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 915 936 940 945 956 972 979',
  UT: '385 435 801',
  VT: '802',
  VA: '276 434 540 571 686 703 757 804 826 948',
  WA: '206 253 360 425 509 564',
  WV: '304 681',
  WI: '262 274 353 414 534 608 715 920',
  WY: '307',
  PR: '787 939',
  VI: '340',
  GU: '671',
  AS: '684',
  MP: '670',
};

const ZONE_BY_STATE: Record<string, string> = {
  AL: 'America/Chicago',
  AK: 'America/Anchorage',
  AZ: 'America/Phoenix',
  AR: 'America/Chicago',
  CA: 'America/Los_Angeles',
  CO: 'America/Denver',
  CT: 'America/New_York',
  DE: 'America/New_York',
  DC: 'America/New_York',
  FL: 'America/New_York',
  GA: 'America/New_York',
  HI: 'Pacific/Honolulu',
  ID: 'America/Boise',
  IL: 'America/Chicago',
  IN: 'America/Indiana/Indianapolis',
  IA: 'America/Chicago',
  KS: 'America/Chicago',
  KY: 'America/New_York',
  LA: 'America/Chicago',
  ME: 'America/New_York',
  MD: 'America/New_York',
  MA: 'America/New_York',
  MI: 'America/Detroit',
  MN: 'America/Chicago',
  MS: 'America/Chicago',
  MO: 'America/Chicago',
  MT: 'America/Denver',
  NE: 'America/Chicago',
  NV: 'America/Los_Angeles',
  NH: 'America/New_York',
  NJ: 'America/New_York',
  NM: 'America/Denver',
  NY: 'America/New_York',
  NC: 'America/New_York',
  ND: 'America/Chicago',
  OH: 'America/New_York',
  OK: 'America/Chicago',
  OR: 'America/Los_Angeles',
  PA: 'America/New_York',
  RI: 'America/New_York',
  SC: 'America/New_York',
  SD: 'America/Chicago',
  TN: 'America/Chicago',
  TX: 'America/Chicago',
  UT: 'America/Denver',
  VT: 'America/New_York',
  VA: 'America/New_York',
  WA: 'America/Los_Angeles',
  WV: 'America/New_York',
  WI: 'America/Chicago',
  WY: 'America/Denver',
  PR: 'America/Puerto_Rico',
  VI: 'America/St_Thomas',
  GU: 'Pacific/Guam',
  AS: 'Pacific/Pago_Pago',
  MP: 'Pacific/Saipan',
};

/**
 * Canadian area codes by province (libphonenumber-js's metadata decides which NANP codes are Canadian; a test keeps
 * this table in step with it). 600/622/633 are non-geographic and absent: such a number gets the office's zone.
 * 782/902 serve Nova Scotia and Prince Edward Island, 867 the three territories: no single province for those.
 */
const AREA_CODES_BY_PROVINCE: Record<string, string> = {
  BC: '236 250 257 604 672 778',
  AB: '368 403 587 780 825',
  SK: '306 474 639',
  MB: '204 431 584',
  ON: '226 249 273 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 942',
  QC: '263 354 367 418 438 450 468 514 579 581 819 873',
  NB: '428 506',
  'NS/PE': '782 902',
  NL: '709 879',
  'YT/NT/NU': '867',
};

const ZONE_BY_PROVINCE: Record<string, string> = {
  BC: 'America/Vancouver',
  AB: 'America/Edmonton',
  SK: 'America/Regina',
  MB: 'America/Winnipeg',
  ON: 'America/Toronto',
  QC: 'America/Toronto',
  NB: 'America/Moncton',
  'NS/PE': 'America/Halifax',
  NL: 'America/St_Johns',
  'YT/NT/NU': 'America/Whitehorse',
};

/**
 * Area codes whose zones differ from their state's or province's main zone: the main zone first, then every other
 * zone a recipient with that code may live in. Zones on a fixed offset that always lies between two listed ones
 * (Dawson Creek, Creston, Atikokan, Blanc-Sablon) need no entry: a window that holds in both holds there too.
 */
const ZONES_BY_AREA_CODE: Record<string, readonly string[]> = {
  // United States
  '850': ['America/Chicago', 'America/New_York'], // Florida panhandle: Pensacola Central, Tallahassee Eastern
  '448': ['America/Chicago', 'America/New_York'], // overlay of 850
  '915': ['America/Denver'], // El Paso
  '432': ['America/Chicago', 'America/Denver'], // west Texas; Culberson County is Mountain
  '423': ['America/New_York', 'America/Chicago'], // East Tennessee; Marion, Sequatchie, Bledsoe are Central
  '865': ['America/New_York'], // Knoxville
  '270': ['America/Chicago', 'America/New_York'], // western Kentucky; Hardin and neighbours are Eastern
  '364': ['America/Chicago', 'America/New_York'], // overlay of 270
  '606': ['America/New_York', 'America/Chicago'], // eastern Kentucky; a few south-central counties are Central
  '906': ['America/Detroit', 'America/Menominee'], // Upper Peninsula; four counties on the Wisconsin line are Central
  '219': ['America/Chicago'], // northwest Indiana (Chicago area)
  '574': ['America/Indiana/Indianapolis', 'America/Chicago'], // north Indiana; Starke County is Central
  '812': ['America/Indiana/Indianapolis', 'America/Chicago'], // south Indiana; Evansville's corner is Central
  '930': ['America/Indiana/Indianapolis', 'America/Chicago'], // overlay of 812
  '208': ['America/Boise', 'America/Los_Angeles'], // Idaho; the panhandle north of the Salmon River is Pacific
  '986': ['America/Boise', 'America/Los_Angeles'], // overlay of 208
  '541': ['America/Los_Angeles', 'America/Boise'], // Oregon; most of Malheur County is Mountain
  '458': ['America/Los_Angeles', 'America/Boise'], // overlay of 541
  '775': ['America/Los_Angeles', 'America/Denver'], // Nevada; West Wendover is Mountain
  '928': ['America/Phoenix', 'America/Denver'], // Arizona (no DST); the Navajo Nation keeps daylight saving time
  '308': ['America/Chicago', 'America/Denver'], // western Nebraska; the panhandle is Mountain
  '605': ['America/Chicago', 'America/Denver'], // South Dakota; the west river counties are Mountain
  '701': ['America/Chicago', 'America/Denver'], // North Dakota; the southwest is Mountain
  '620': ['America/Chicago', 'America/Denver'], // south Kansas; Hamilton and Greeley counties are Mountain
  '785': ['America/Chicago', 'America/Denver'], // north Kansas; Sherman and Wallace counties are Mountain
  '907': ['America/Anchorage', 'America/Adak'], // Alaska; the western Aleutians are an hour behind
  // Canada
  '250': ['America/Vancouver', 'America/Edmonton'], // BC outside the Lower Mainland; the East Kootenay is Mountain
  '236': ['America/Vancouver', 'America/Edmonton'], // overlays of all British Columbia
  '257': ['America/Vancouver', 'America/Edmonton'],
  '672': ['America/Vancouver', 'America/Edmonton'],
  '778': ['America/Vancouver', 'America/Edmonton'],
  // Saskatchewan stays on Central Standard Time all year; Lloydminster keeps Alberta's clock, Creighton Manitoba's.
  '306': ['America/Regina', 'America/Edmonton', 'America/Winnipeg'],
  '474': ['America/Regina', 'America/Edmonton', 'America/Winnipeg'],
  '639': ['America/Regina', 'America/Edmonton', 'America/Winnipeg'],
  '807': ['America/Toronto', 'America/Winnipeg'], // northwest Ontario: Thunder Bay Eastern, Kenora and west Central
  '418': ['America/Toronto', 'America/Halifax'], // eastern Quebec; the Magdalen Islands are Atlantic
  '367': ['America/Toronto', 'America/Halifax'], // overlays of 418
  '581': ['America/Toronto', 'America/Halifax'],
  '709': ['America/St_Johns', 'America/Goose_Bay'], // Newfoundland (UTC−3:30) and most of Labrador (Atlantic)
  '879': ['America/St_Johns', 'America/Goose_Bay'],
  // Yukon (UTC−7 all year), the Northwest Territories (Mountain), Nunavut (Mountain, Central and Eastern).
  '867': ['America/Whitehorse', 'America/Yellowknife', 'America/Rankin_Inlet', 'America/Iqaluit'],
};

const STATE_BY_AREA_CODE = new Map(Object.entries(AREA_CODES_BY_STATE).flatMap(([state, codes]) => codes.split(' ').map((code) => [code, state] as const)));

const PROVINCE_BY_AREA_CODE = new Map(
  Object.entries(AREA_CODES_BY_PROVINCE).flatMap(([province, codes]) => codes.split(' ').map((code) => [code, province] as const)),
);

export interface AreaCodePlace {
  country: 'US' | 'CA';
  /** Two-letter US state or Canadian province; undefined for a code serving several provinces (782/902, 867). */
  region: string | undefined;
  /** Every zone a number with this code may be in, the main one first. */
  zones: readonly string[];
}

/** Where a NANP area code is, if it is a US or Canadian one we know. */
export function placeOfAreaCode(areaCode: string): AreaCodePlace | undefined {
  const state = STATE_BY_AREA_CODE.get(areaCode);
  if (state) return { country: 'US', region: state, zones: ZONES_BY_AREA_CODE[areaCode] ?? [ZONE_BY_STATE[state]!] };
  const province = PROVINCE_BY_AREA_CODE.get(areaCode);
  if (province) {
    return { country: 'CA', region: province.includes('/') ? undefined : province, zones: ZONES_BY_AREA_CODE[areaCode] ?? [ZONE_BY_PROVINCE[province]!] };
  }
  return undefined;
}

/** Every area code in the Canadian table (for the test that checks it against libphonenumber-js). */
export function canadianAreaCodes(): string[] {
  return [...PROVINCE_BY_AREA_CODE.keys()];
}

/** Two-letter state (or territory) for a NANP area code, if it is a US one we know. */
export function stateForAreaCode(areaCode: string): string | undefined {
  return STATE_BY_AREA_CODE.get(areaCode);
}

/** Main IANA zone for a US or Canadian area code, if known. */
export function zoneForAreaCode(areaCode: string): string | undefined {
  return placeOfAreaCode(areaCode)?.zones[0];
}

/** IANA zone of a US state or territory ("AZ" → America/Phoenix); states spanning zones get their most populous one. */
export function zoneForState(state: string): string | undefined {
  return ZONE_BY_STATE[state];
}
