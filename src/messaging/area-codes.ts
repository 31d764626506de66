/**
 * US area code → state → IANA zone, for the recipient-zone rule ("area code presumed to show residence",
 * FTSA/OTSA). libphonenumber-js parses and validates numbers but carries no geocoder, so the table lives
 * here. States spanning two zones use their most populous zone, with per-area-code exceptions below.
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
  AL: 'America/Chicago', AK: 'America/Anchorage', AZ: 'America/Phoenix', AR: 'America/Chicago',
  CA: 'America/Los_Angeles', CO: 'America/Denver', CT: 'America/New_York', DE: 'America/New_York',
  DC: 'America/New_York', FL: 'America/New_York', GA: 'America/New_York', HI: 'Pacific/Honolulu',
  ID: 'America/Boise', IL: 'America/Chicago', IN: 'America/Indiana/Indianapolis', IA: 'America/Chicago',
  KS: 'America/Chicago', KY: 'America/New_York', LA: 'America/Chicago', ME: 'America/New_York',
  MD: 'America/New_York', MA: 'America/New_York', MI: 'America/Detroit', MN: 'America/Chicago',
  MS: 'America/Chicago', MO: 'America/Chicago', MT: 'America/Denver', NE: 'America/Chicago',
  NV: 'America/Los_Angeles', NH: 'America/New_York', NJ: 'America/New_York', NM: 'America/Denver',
  NY: 'America/New_York', NC: 'America/New_York', ND: 'America/Chicago', OH: 'America/New_York',
  OK: 'America/Chicago', OR: 'America/Los_Angeles', PA: 'America/New_York', RI: 'America/New_York',
  SC: 'America/New_York', SD: 'America/Chicago', TN: 'America/Chicago', TX: 'America/Chicago',
  UT: 'America/Denver', VT: 'America/New_York', VA: 'America/New_York', WA: 'America/Los_Angeles',
  WV: 'America/New_York', WI: 'America/Chicago', WY: 'America/Denver', PR: 'America/Puerto_Rico',
  VI: 'America/St_Thomas', GU: 'Pacific/Guam', AS: 'Pacific/Pago_Pago', MP: 'Pacific/Saipan',
};

/** Area codes in a different zone from the rest of their state. */
const ZONE_BY_AREA_CODE: Record<string, string> = {
  '850': 'America/Chicago', // Florida panhandle west of the Apalachicola
  '915': 'America/Denver', // El Paso
  '423': 'America/New_York', // East Tennessee
  '865': 'America/New_York', // Knoxville
  '270': 'America/Chicago', // western Kentucky
  '364': 'America/Chicago',
  '906': 'America/Detroit', // Upper Peninsula (mostly Eastern)
  '219': 'America/Chicago', // northwest Indiana (Chicago area)
  '208': 'America/Boise',
  '308': 'America/Chicago',
  '605': 'America/Chicago',
  '701': 'America/Chicago',
};

const STATE_BY_AREA_CODE = new Map(
  Object.entries(AREA_CODES_BY_STATE).flatMap(([state, codes]) => codes.split(' ').map((code) => [code, state] as const)),
);

/** Two-letter state (or territory) for a NANP area code, if it is a US one we know. */
export function stateForAreaCode(areaCode: string): string | undefined {
  return STATE_BY_AREA_CODE.get(areaCode);
}

/** IANA zone for a US area code, if known. */
export function zoneForAreaCode(areaCode: string): string | undefined {
  const state = STATE_BY_AREA_CODE.get(areaCode);
  if (!state) return undefined;
  return ZONE_BY_AREA_CODE[areaCode] ?? ZONE_BY_STATE[state];
}

/** IANA zone of a US state or territory ("AZ" → America/Phoenix); states spanning zones get their most populous one. */
export function zoneForState(state: string): string | undefined {
  return ZONE_BY_STATE[state];
}
