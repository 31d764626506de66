/** Tables of calls, caller memory, consent, callback tasks and function invocations (migration 0002). Filled by the Retell work. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CallsTables {}
