/** The calls the simulator can play; on its own so the CLI's help can list them without loading the simulator. */
export const SCENARIOS = ['new-caller-books', 'new-caller-books-es', 'returning-caller-question', 'caller-opts-out', 'caller-hangs-up-early'] as const;
export type Scenario = (typeof SCENARIOS)[number];
