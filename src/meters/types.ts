/**
 * The energy meter interface. A meter measures one domain (gpu, cpu package, dram) with one
 * method (a hardware counter, a polled power stream, or an estimate), on one or more devices
 * (GPU 0 and 1, RAPL package 0 and 1). The runner marks points in time and asks for the energy
 * between two marks, per device; a meter never decides the protocol.
 */

export type EnergyDomain = 'gpu' | 'cpu' | 'dram';
export type MeterMethod = 'counter' | 'polled' | 'estimated';

/** Names the user can give with --meter: the meters this package ships. */
export type MeterName = 'nvml' | 'nvidia-smi' | 'rapl' | 'cpu-estimate';

/**
 * What a meter calls itself in readings and results: its MeterName for the meters this package
 * ships; a meter the caller brings (for hardware of its own, or a test double) names itself.
 */
export type MeterLabel = string;

export interface MeterInfo {
  name: MeterLabel;
  domain: EnergyDomain;
  method: MeterMethod;
  /** Devices it reads, e.g. ['gpu0', 'gpu1'] or ['package-0']. */
  devices: string[];
  /** How often the underlying figure changes, in seconds: windows should span at least 20 of these. */
  updatePeriodS: number;
  /** Anything a reader of the result should know: the source file, the TDP used, the field read. */
  details: Record<string, string | number>;
  /** Standing caveats, e.g. "power.draw is a 1 s average on this GPU". */
  warnings: string[];
}

/** An opaque point in time taken by a meter; only the meter that made it reads it. */
export interface Mark {
  /** Seconds on the monotonic clock (util/clock.ts: nowS). */
  timeS: number;
  /** Meter-specific state at the mark (counter values, CPU time). */
  state: unknown;
}

export interface DeviceEnergy {
  device: string;
  energyJ: number;
  /** Highest power seen between the marks where the meter can see it (polled meters), else null. */
  peakPowerW: number | null;
  /** Samples used (polled meters) or counter reads (2 for counters). */
  samples: number;
}

export interface EnergyReading {
  meter: MeterLabel;
  domain: EnergyDomain;
  method: MeterMethod;
  durationS: number;
  /** Sum over devices. */
  energyJ: number;
  avgPowerW: number;
  peakPowerW: number | null;
  devices: DeviceEnergy[];
  /** Things that went wrong in this window (a counter that did not advance, missing samples). */
  warnings: string[];
  /**
   * Other processes' CPU use over the window, in cores (the machine's busy time less this
   * process's, over the wall time), where the meter reads it (the CPU meters, from /proc/stat).
   */
  otherCpuCores?: number;
}

/**
 * A reading from its devices' energies: the total and the average power follow from them, so
 * no meter computes them itself.
 */
export function readingOf(
  kind: Pick<EnergyReading, 'meter' | 'domain' | 'method'>,
  durationS: number,
  devices: DeviceEnergy[],
  peakPowerW: number | null,
  warnings: string[],
): EnergyReading {
  const energyJ = devices.reduce((sum, d) => sum + d.energyJ, 0);
  return {
    meter: kind.meter,
    domain: kind.domain,
    method: kind.method,
    durationS,
    energyJ,
    avgPowerW: durationS > 0 ? energyJ / durationS : 0,
    peakPowerW,
    devices,
    warnings,
  };
}

export interface EnergyMeter {
  readonly info: MeterInfo;
  /** Starts sampling (spawns a stream, opens a library); called once before the first mark. */
  start(): Promise<void>;
  mark(): Promise<Mark>;
  /** Energy between two marks of this meter, from earlier to later. */
  between(from: Mark, to: Mark): Promise<EnergyReading>;
  /** Stops sampling and frees what start() took; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Whether a meter can work here, and if not, why and what would enable it. `faulty`: its device
 * or tool is there but failed or did not answer (not merely absent), which a run that goes on
 * without it should say.
 */
export type Availability =
  { available: true; info: MeterInfo } | { available: false; reason: string; fix: string; faulty?: boolean };

/** Builds a meter after checking it can work; the registry calls probe() before create(). */
export interface MeterFactory {
  name: MeterName;
  domain: EnergyDomain;
  method: MeterMethod;
  probe(): Promise<Availability>;
  create(): Promise<EnergyMeter>;
}
