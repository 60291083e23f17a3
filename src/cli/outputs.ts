/**
 * Where machine formats go: files rewritten atomically after every configuration (so an
 * interrupted run leaves valid files), or stdout once at the end for `-`.
 */
import { render, type ExportFormat } from '../export/formats.js';
import type { RunDocument } from '../result/schema.js';
import { usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface OutputTargets {
  json?: string;
  csv?: string;
  markdown?: string;
}

export class OutputWriter {
  private readonly files: [ExportFormat, string][] = [];
  readonly stdoutFormat: ExportFormat | undefined;

  constructor(targets: OutputTargets) {
    const entries = (['json', 'csv', 'markdown'] as const).flatMap((f) =>
      targets[f] ? [[f, targets[f]] as [ExportFormat, string]] : [],
    );
    const toStdout = entries.filter(([, target]) => target === '-');
    if (toStdout.length > 1) {
      throw usageError(
        `only one format can go to stdout, but ${toStdout.map(([f]) => `--${f}`).join(' and ')} both ask for -`,
        'send the others to files',
      );
    }
    this.stdoutFormat = toStdout[0]?.[0];
    this.files = entries.filter(([, target]) => target !== '-');
  }

  /** Rewrites every file output with the document as it stands. */
  async writeFiles(document: RunDocument): Promise<void> {
    for (const [format, file] of this.files) await writeFileAtomic(file, render(format, document));
  }

  writeStdout(document: RunDocument): void {
    if (this.stdoutFormat) process.stdout.write(render(this.stdoutFormat, document));
  }
}
