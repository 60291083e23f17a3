/** The energy options shared by `bench` and `measure`, and turning them into started meters. */
import type { Command } from 'commander';
import { errorMessage } from '../errors.js';
import {
  meterFactories,
  parseMeterList,
  selectMeters,
  stopMeters,
  type MeterOptions,
} from '../meters/registry.js';
import type { EnergyMeter, MeterName } from '../meters/types.js';
import { DEFAULT_PROTOCOL, measureIdle, type ProtocolSettings } from '../runner/protocol.js';
import { list, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './parse.js';

export interface EnergyFlags {
  meter: MeterName[] | 'auto' | 'none';
  gpus?: number[];
  idle: number;
  minWindow: number;
  targetCi: number;
  maxTrials: number;
  maxSeconds: number;
}

export function addMeterOptions(command: Command): Command {
  return command
    .option(
      '--meter <list>',
      'energy meters: auto (best per domain), none, or a list of nvml, nvidia-smi, rapl, cpu-estimate',
      parseMeterList,
      'auto',
    )
    .option(
      '--gpus <list>',
      'GPU indices the GPU meters read (default: all)',
      list('--gpus', nonNegativeInt('--gpus')),
    )
    .option(
      '--idle <seconds>',
      'idle power measured first and subtracted in the net figures; 0 skips it',
      nonNegativeNumber('--idle'),
      DEFAULT_PROTOCOL.idleS,
    );
}

export function addProtocolOptions(command: Command): Command {
  return command
    .option(
      '--min-window <seconds>',
      'shortest measurement window (raised to 20 updates of the slowest meter)',
      positiveNumber('--min-window'),
      DEFAULT_PROTOCOL.minWindowS,
    )
    .option(
      '--target-ci <percent>',
      'repeat trials until the 95 % interval of energy per query is within ± this',
      positiveNumber('--target-ci'),
      DEFAULT_PROTOCOL.targetCi * 100,
    )
    .option(
      '--max-trials <n>',
      'most trials per configuration',
      positiveInt('--max-trials'),
      DEFAULT_PROTOCOL.maxTrials,
    )
    .option(
      '--max-seconds <seconds>',
      'time budget for one configuration’s trials',
      positiveNumber('--max-seconds'),
      DEFAULT_PROTOCOL.maxSeconds,
    );
}

export function protocolFrom(flags: EnergyFlags): ProtocolSettings {
  return {
    ...DEFAULT_PROTOCOL,
    idleS: flags.idle,
    minWindowS: flags.minWindow,
    targetCi: flags.targetCi / 100,
    maxTrials: flags.maxTrials,
    minTrials: Math.min(DEFAULT_PROTOCOL.minTrials, flags.maxTrials),
    maxSeconds: flags.maxSeconds,
  };
}

export interface StartedMeters {
  meters: EnergyMeter[];
  notes: string[];
  idlePowerW: (number | null)[];
  idleSeconds: number;
}

/** Picks and starts the meters, then measures idle power while nothing else runs. */
export async function startMeters(
  flags: Pick<EnergyFlags, 'meter' | 'gpus' | 'idle'>,
  cpuLoad: MeterOptions['cpuLoad'],
  onIdle?: (seconds: number) => void,
): Promise<StartedMeters> {
  const selection = await selectMeters(flags.meter, meterFactories({ gpus: flags.gpus, cpuLoad }));
  const notes = [...selection.notes];
  const idleSeconds = selection.meters.length > 0 ? flags.idle : 0;
  if (idleSeconds > 0) onIdle?.(idleSeconds);
  const failed = new Set<number>();
  const idle = await measureIdle(selection.meters, idleSeconds, undefined, (i, err) => {
    failed.add(i);
    const meter = selection.meters[i]!;
    notes.push(
      `${meter.info.name} (${meter.info.domain}) failed while measuring idle power and was dropped: ${errorMessage(err)}`,
    );
  });
  // A meter that failed here is stopped and left out; the others carry on.
  await stopMeters(selection.meters.filter((_, i) => failed.has(i)));
  const keep = (_: unknown, i: number) => !failed.has(i);
  return { meters: selection.meters.filter(keep), notes, idlePowerW: idle.filter(keep), idleSeconds };
}
