export interface Migration {
  /** Strictly increasing, starting at 1; never renumber one that has shipped. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
