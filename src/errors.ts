/** Whether the user asked for something impossible (usage) or the run itself failed. */
export type ErrorKind = 'usage' | 'run';

/**
 * The one error type the tool throws on purpose. The CLI edge prints `message` and `hint`
 * on one line each and exits 2 for usage errors and 1 for run failures.
 */
export class EnergyScoreError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  /** An exit code other than the kind's, where a convention asks for one (a shell's 126 and 127). */
  private readonly code: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    hint?: string,
    options?: { cause?: unknown; exitCode?: number },
  ) {
    super(message, options);
    this.name = 'EnergyScoreError';
    this.kind = kind;
    this.hint = hint;
    this.code = options?.exitCode;
  }

  get exitCode(): number {
    return this.code ?? (this.kind === 'usage' ? 2 : 1);
  }
}

export function usageError(message: string, hint?: string): EnergyScoreError {
  return new EnergyScoreError('usage', message, hint);
}

export function runError(message: string, hint?: string, cause?: unknown): EnergyScoreError {
  return new EnergyScoreError('run', message, hint, { cause });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
