/** The energy options shared by `bench` and `measure`, and the requests they make. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { MeterRequest } from '../app/meters.js';
import { parseMeterList } from '../meters/names.js';
import type { MeterName } from '../meters/types.js';
import { DEFAULT_PROTOCOL, type ProtocolSettings } from '../runner/protocol.js';
import { list, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from './parse.js';

export interface EnergyFlags {
  meter: MeterName[] | 'auto' | 'none';
  gpus?: number[];
  idle: number;
  minWindow: number;
  targetCi: number;
  maxTrials: number;
  /** Undefined: the default, lowered to --max-trials when that is lower. */
  minTrials?: number;
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
      '--min-trials <n>',
      `fewest windows before the interval may stop the trials (default ${DEFAULT_PROTOCOL.minTrials}); the time budget still caps them`,
      positiveInt('--min-trials'),
    )
    .option(
      '--max-trials <n>',
      'most windows (trials) per configuration',
      positiveInt('--max-trials'),
      DEFAULT_PROTOCOL.maxTrials,
    )
    .option(
      '--max-seconds <seconds>',
      'time budget for one configuration’s trials, a hard cap: no window starts that would end after it',
      positiveNumber('--max-seconds'),
      DEFAULT_PROTOCOL.maxSeconds,
    );
}

export function protocolFrom(flags: EnergyFlags): ProtocolSettings {
  if (flags.minTrials !== undefined && flags.minTrials > flags.maxTrials) {
    throw usageError(
      `--min-trials ${flags.minTrials} is above --max-trials ${flags.maxTrials}`,
      `give at most ${flags.maxTrials} with --min-trials, or raise --max-trials`,
    );
  }
  return {
    ...DEFAULT_PROTOCOL,
    idleS: flags.idle,
    minWindowS: flags.minWindow,
    targetCi: flags.targetCi / 100,
    maxTrials: flags.maxTrials,
    minTrials: flags.minTrials ?? Math.min(DEFAULT_PROTOCOL.minTrials, flags.maxTrials),
    maxSeconds: flags.maxSeconds,
  };
}

/** The meters a command asked for. */
export function meterRequest(flags: Pick<EnergyFlags, 'meter' | 'gpus' | 'idle'>): MeterRequest {
  return { meter: flags.meter, ...(flags.gpus ? { gpus: flags.gpus } : {}), idleS: flags.idle };
}
