/**
 * Which meters exist, which work here, and which a run uses: the best available per domain
 * (GPU: NVML counter, then the nvidia-smi stream; CPU and DRAM: RAPL, then the estimate), or
 * exactly the ones the user named, which must work.
 */
import { usageError } from '../errors.js';
import { cpuEstimateMeterFactory } from './cpu-estimate.js';
import { processCpuTimes, processTreeCpuTimes } from './cpu-time.js';
import { nvidiaSmiMeterFactory } from './nvidia-smi.js';
import { nvmlMeterFactory } from './nvml.js';
import { raplMeterFactory } from './rapl.js';
import type { EnergyDomain, EnergyMeter, MeterFactory, MeterInfo, MeterName } from './types.js';

export { METER_NAMES, parseMeterList } from './names.js';

export interface MeterOptions {
  /** GPU indices (--gpus); all when absent. */
  gpus?: number[];
  /**
   * Whose CPU time is this run's: this process (bench) or this process with the command it runs
   * (`system`: measure). The estimate charges it its share of the machine; RAPL records the rest.
   */
  cpuLoad?: 'process' | 'system';
}

/** Every factory, best first within each domain. */
export function meterFactories(options: MeterOptions = {}): MeterFactory[] {
  const tree = options.cpuLoad === 'system';
  const cpuTimes = tree ? processTreeCpuTimes() : processCpuTimes();
  return [
    nvmlMeterFactory({ gpus: options.gpus }),
    nvidiaSmiMeterFactory({ gpus: options.gpus }),
    raplMeterFactory({ domain: 'cpu', cpuTimes }),
    raplMeterFactory({ domain: 'dram' }),
    cpuEstimateMeterFactory({ domain: 'cpu', cpuTimes }),
    // measure does not follow the command's memory: the machine's RAM power, said so.
    cpuEstimateMeterFactory({ domain: 'dram', ...(tree ? { rssBytes: null } : {}) }),
  ];
}

export interface MeterStatus {
  name: MeterName;
  domain: EnergyDomain;
  method: string;
  available: boolean;
  reason?: string;
  fix?: string;
  /** Unavailable because its device or tool failed or did not answer, not because it is absent. */
  faulty?: boolean;
  info?: MeterInfo;
}

export async function probeMeters(factories: MeterFactory[]): Promise<MeterStatus[]> {
  return Promise.all(
    factories.map(async (f): Promise<MeterStatus> => {
      const base = { name: f.name, domain: f.domain, method: f.method };
      try {
        const availability = await f.probe();
        return availability.available
          ? { ...base, available: true, info: availability.info }
          : {
              ...base,
              available: false,
              reason: availability.reason,
              fix: availability.fix,
              ...(availability.faulty ? { faulty: true } : {}),
            };
      } catch (err) {
        return {
          ...base,
          available: false,
          reason: err instanceof Error ? err.message : String(err),
          fix: 'run with --verbose and report it',
        };
      }
    }),
  );
}

export interface MeterSelection {
  meters: EnergyMeter[];
  /** Fallbacks and choices worth telling the user. */
  notes: string[];
}

/** The domains `--meter auto` fills, in the order it fills them (DRAM's pick depends on CPU's). */
export const AUTO_DOMAINS: readonly EnergyDomain[] = ['gpu', 'cpu', 'dram'];

/**
 * The auto-pick rule: what `--meter auto` uses per domain, from probed statuses in meterFactories'
 * order (best first within each domain). Per domain, the first available meter, except that an
 * estimated DRAM figure is only taken beside an estimated CPU figure, so that it never turns a
 * measured CPU figure into an estimate. `skip`: indexes not to pick (meters that failed to start).
 * Returns the index into `statuses` per domain, or null where nothing is eligible.
 */
export function autoPicks(
  statuses: readonly Pick<MeterStatus, 'domain' | 'method' | 'available'>[],
  skip: ReadonlySet<number> = new Set(),
): Record<EnergyDomain, number | null> {
  const picks: Record<EnergyDomain, number | null> = { gpu: null, cpu: null, dram: null };
  for (const domain of AUTO_DOMAINS) {
    const cpuMethod = picks.cpu === null ? undefined : statuses[picks.cpu]?.method;
    const index = statuses.findIndex(
      (s, i) =>
        s.domain === domain &&
        s.available &&
        !skip.has(i) &&
        !(domain === 'dram' && s.method === 'estimated' && cpuMethod !== 'estimated'),
    );
    picks[domain] = index === -1 ? null : index;
  }
  return picks;
}

/**
 * Creates and starts the meters. Named meters must work (an error says why not); automatic ones
 * follow autoPicks, falling back to its next pick when one fails to start, and each fallback is
 * noted.
 */
export async function selectMeters(
  choice: MeterName[] | 'auto' | 'none',
  factories: MeterFactory[],
): Promise<MeterSelection> {
  if (choice === 'none') return { meters: [], notes: [] };
  const statuses = await probeMeters(factories);
  const meters: EnergyMeter[] = [];
  const notes: string[] = [];

  if (choice !== 'auto') {
    try {
      for (const name of choice) {
        const matching = factories.map((f, i) => [f, statuses[i]!] as const).filter(([f]) => f.name === name);
        const usable = matching.filter(([, s]) => s.available);
        if (usable.length === 0) {
          const why = matching[0]?.[1];
          throw usageError(`--meter ${name} cannot work here: ${why?.reason ?? 'unknown meter'}`, why?.fix);
        }
        for (const [factory] of usable) meters.push(await startMeter(factory));
      }
    } catch (err) {
      // Meters already started (an nvidia-smi child, say) must not outlive the error.
      await stopMeters(meters);
      throw err;
    }
    return { meters, notes };
  }

  // Domains in AUTO_DOMAINS order, so that DRAM's pick sees the CPU meter that really started.
  const failed = new Set<number>();
  for (const domain of AUTO_DOMAINS) {
    // A meter whose device is there but failed its probe (a hung nvidia-smi) is passed over: say so.
    statuses.forEach((s) => {
      if (s.domain === domain && s.faulty) notes.push(`${s.name} (${domain}) was dropped: ${s.reason}`);
    });
    let picked: EnergyMeter | undefined;
    for (;;) {
      const index = autoPicks(statuses, failed)[domain];
      if (index === null) break;
      const factory = factories[index]!;
      try {
        picked = await startMeter(factory);
        meters.push(picked);
        break;
      } catch (err) {
        failed.add(index);
        notes.push(
          `${factory.name} (${domain}) failed to start and was skipped: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const best = factories.map((f, i) => [f, statuses[i]!] as const).find(([f]) => f.domain === domain);
    if (best && picked && picked.info.name !== best[0].name && domain !== 'gpu') {
      notes.push(
        `${domain}: ${best[0].name} is unavailable (${best[1].reason ?? 'failed'}), using ${picked.info.name}`,
      );
    }
    if (domain === 'gpu' && picked && picked.info.name !== 'nvml') {
      notes.push(
        `gpu: NVML counter unavailable (${best?.[1].reason ?? 'failed'}), using ${picked.info.name}`,
      );
    }
  }
  return { meters, notes };
}

async function startMeter(factory: MeterFactory): Promise<EnergyMeter> {
  const meter = await factory.create();
  try {
    await meter.start();
  } catch (err) {
    await meter.stop().catch(() => undefined);
    throw err;
  }
  return meter;
}

export async function stopMeters(meters: readonly EnergyMeter[]): Promise<void> {
  await Promise.allSettled(meters.map((m) => m.stop()));
}
