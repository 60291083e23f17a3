/**
 * Fits and validates the cpu-estimate power models on every measured CPU the package ships:
 * CodeCarbon's four RAPL sweeps under two load patterns (all_cores, some_cores) and Teads' seven
 * AWS bare-metal Xeons (data/power-profiles/, data/codecarbon/cpu_load_sweeps/, data/teads/).
 * Prints, per validation set, each model's mean absolute error and its leave-one-CPU-out figure
 * (docs/cpu-estimate.md keeps the tables), and exits 1 if the constants shipped in
 * src/meters/power-model.ts are not what this fit and validation give.
 *
 *   npm run bench:cpu-estimate
 *
 * Truth per point: a sweep step's RAPL energy over its duration, or Teads' package watts.
 * Error: |estimate − truth| / truth per point, averaged per CPU, then over the set's CPUs.
 */
import {
  BAND_CURVE,
  BAND_CURVE_W_PER_THREAD,
  BAND_PROFILE,
  codecarbonCpuPowerW,
  CURVE_A,
  CURVE_B,
  CURVE_K,
  linearCpuPowerW,
  teadsCpuPowerW,
} from '../src/meters/power-model.js';
import {
  loadPowerProfiles,
  profilePowerW,
  type LoadPattern,
  type PowerProfile,
  type PowerProfileTable,
} from '../src/devices/power-profiles.js';

interface CpuData {
  id: string;
  name: string;
  tdpW: number;
  threads: number;
  microarchitecture: string;
  /** Its measured profiles, by pattern. */
  sets: Partial<Record<LoadPattern, PowerProfile>>;
}

const SETS: { pattern: LoadPattern; label: string }[] = [
  { pattern: 'all-cores', label: 'CodeCarbon all_cores (4 CPUs)' },
  { pattern: 'some-cores', label: 'CodeCarbon some_cores (4 CPUs)' },
  { pattern: 'stress', label: 'Teads (7 Xeons)' },
];

/** Power at a load from the CPU's TDP (or its stand-in). */
type Model = (tdpW: number, load: number) => number;

function cpusOf(table: PowerProfileTable): CpuData[] {
  const byId = new Map<string, CpuData>();
  for (const p of table.profiles) {
    const cpu = byId.get(p.cpuId) ?? {
      id: p.cpuId,
      name: p.cpuName,
      tdpW: p.tdpW,
      threads: p.threads,
      microarchitecture: p.microarchitecture,
      sets: {},
    };
    cpu.sets[p.pattern] = p;
    byId.set(p.cpuId, cpu);
  }
  return [...byId.values()];
}

/** Mean abs % error of `estimate` on one profile's points. */
function profileError(profile: PowerProfile, estimate: (load: number) => number): number {
  const e = profile.points.map((p) => Math.abs(estimate(p.load) - p.powerW) / p.powerW);
  return (100 * e.reduce((a, x) => a + x, 0)) / e.length;
}

/** A CPU's error: the mean over its measured profiles (both sweeps for CodeCarbon's CPUs). */
function cpuError(cpu: CpuData, estimate: (load: number) => number): number {
  const profiles = Object.values(cpu.sets);
  return profiles.reduce((a, p) => a + profileError(p, estimate), 0) / profiles.length;
}

/** Mean abs % error at each interior point of a profile, interpolated from its other points. */
function samePatternError(profile: PowerProfile): number | null {
  const e: number[] = [];
  for (let i = 1; i < profile.points.length - 1; i++) {
    const point = profile.points[i]!;
    const rest = profile.points.filter((_, j) => j !== i);
    e.push(Math.abs(profilePowerW(rest, point.load) - point.powerW) / point.powerW);
  }
  return e.length ? (100 * e.reduce((a, x) => a + x, 0)) / e.length : null;
}

const avg = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

interface Curve {
  a: number;
  b: number;
  k: number;
}

const curveModel =
  ({ a, b, k }: Curve): Model =>
  (t, u) =>
    t * (a + b * Math.min(1, Math.max(0, u)) ** k);

/** Grid search on integer steps (no float drift): a 0–0.30 by 0.01, b 0–1.50 by 0.01, k 0.30–2 by 0.05. */
function fitCurve(cpus: CpuData[], tdpOf: (c: CpuData) => number): Curve {
  // Per CPU, per profile: the TDP, the loads and the truths, so the search does arithmetic only.
  const data = cpus.map((c) => ({
    tdpW: tdpOf(c),
    profiles: Object.values(c.sets).map((p) => ({
      loads: p.points.map((x) => Math.min(1, Math.max(0, x.load))),
      truths: p.points.map((x) => x.powerW),
    })),
  }));
  let best = { score: Infinity, a: 0, b: 0, k: 1 };
  for (let ik = 6; ik <= 40; ik++) {
    const k = ik / 20;
    const powered = data.map((c) => ({
      ...c,
      profiles: c.profiles.map((p) => ({ ...p, uk: p.loads.map((u) => u ** k) })),
    }));
    for (let ia = 0; ia <= 30; ia++) {
      for (let ib = 0; ib <= 150; ib++) {
        const [a, b] = [ia / 100, ib / 100];
        let total = 0;
        for (const c of powered) {
          let cpuSum = 0;
          for (const p of c.profiles) {
            let e = 0;
            for (let i = 0; i < p.uk.length; i++) {
              const t = p.truths[i]!;
              e += Math.abs(c.tdpW * (a + b * p.uk[i]!) - t) / t;
            }
            cpuSum += (100 * e) / p.uk.length;
          }
          total += cpuSum / c.profiles.length;
        }
        const score = total / powered.length;
        if (score < best.score) best = { score, a, b, k };
      }
    }
  }
  return { a: best.a, b: best.b, k: best.k };
}

const pct = (x: number): string => x.toFixed(1);
const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

async function main(): Promise<void> {
  const table = await loadPowerProfiles();
  const cpus = cpusOf(table);
  const tdp = (c: CpuData) => c.tdpW;
  const perThreadW = (c: CpuData): number =>
    (table.wattsPerThread.find((w) => w.microarchitecture === c.microarchitecture) ?? table.allWattsPerThread)
      .medianW;
  const tdpFromThreads = (c: CpuData) => perThreadW(c) * c.threads;

  const fitted = fitCurve(cpus, tdp);
  // Leave one CPU out: the curve fitted on the other ten, scored on the one left out.
  const loo = new Map(
    cpus.map((c) => [
      c.id,
      fitCurve(
        cpus.filter((o) => o !== c),
        tdp,
      ),
    ]),
  );
  const looThreads = new Map(
    cpus.map((c) => [
      c.id,
      fitCurve(
        cpus.filter((o) => o !== c),
        tdpFromThreads,
      ),
    ]),
  );

  console.log(`Fitted on all eleven CPUs: P = TDP × (${fitted.a} + ${fitted.b} × load^${fitted.k})`);
  console.log(
    'Error = |estimate − truth| / truth per point, mean per CPU, then over the CPUs of the set (each CPU counts the same).\n',
  );

  type Scorer = (cpu: CpuData, profile: PowerProfile) => number | null;
  const models: { label: string; inSample: Scorer; heldOut: Scorer }[] = [
    {
      label: 'measured profile of the same CPU (lookup)',
      // In sample it is the data itself; held out it is the CPU's other sweep, another run under the other pattern.
      inSample: () => 0,
      heldOut: (cpu, p) => {
        const other = p.pattern === 'all-cores' ? cpu.sets['some-cores'] : cpu.sets['all-cores'];
        return other ? profileError(p, (u) => profilePowerW(other.points, u)) : null;
      },
    },
    {
      label: 'measured profile, same pattern, each interior point held out',
      // The lookup where the load pattern is the profile's: each point between the ends predicted
      // from the rest of its own sweep (interpolation only; the ends cannot be held out).
      inSample: () => 0,
      heldOut: (_cpu, p) => samePatternError(p),
    },
    {
      label: `fitted curve TDP × (${fitted.a} + ${fitted.b}·load^${fitted.k})`,
      inSample: (cpu, p) => profileError(p, (u) => curveModel(fitted)(cpu.tdpW, u)),
      heldOut: (cpu, p) => profileError(p, (u) => curveModel(loo.get(cpu.id)!)(cpu.tdpW, u)),
    },
    {
      label: 'fitted curve, TDP = median W/thread of the microarchitecture × threads',
      inSample: (cpu, p) =>
        profileError(p, (u) => curveModel(fitCurve(cpus, tdpFromThreads))(tdpFromThreads(cpu), u)),
      heldOut: (cpu, p) =>
        profileError(p, (u) => curveModel(looThreads.get(cpu.id)!)(tdpFromThreads(cpu), u)),
    },
    {
      label: 'previous model TDP × (0.095 + 0.67·load)',
      inSample: (cpu, p) => profileError(p, (u) => linearCpuPowerW(cpu.tdpW, u)),
      heldOut: () => null,
    },
    {
      label: 'CodeCarbon TDP × (0.1 + 0.9·load³)',
      inSample: (cpu, p) => profileError(p, (u) => codecarbonCpuPowerW(cpu.tdpW, u)),
      heldOut: () => null,
    },
    {
      label: 'Teads/Boavizta TDP × (0.12, 0.32, 0.75, 1.02)',
      inSample: (cpu, p) => profileError(p, (u) => teadsCpuPowerW(cpu.tdpW, u)),
      heldOut: () => null,
    },
  ];

  // The W/thread in-sample fit is the same for every CPU: fit it once.
  const threadsFit = fitCurve(cpus, tdpFromThreads);
  models[3]!.inSample = (cpu, p) => profileError(p, (u) => curveModel(threadsFit)(tdpFromThreads(cpu), u));

  const header = ['model', ...SETS.flatMap((s) => [`${s.label}: mean abs %`, 'leave-one-CPU-out %'])];
  console.log(row(header));
  console.log(row(['---', ...SETS.flatMap(() => ['---:', '---:'])]));
  const setScore = (scorer: Scorer, pattern: LoadPattern): string => {
    const values = cpus.flatMap((c) => {
      const p = c.sets[pattern];
      if (!p) return [];
      const v = scorer(c, p);
      return v === null ? [] : [v];
    });
    return values.length ? pct(avg(values)) : '–';
  };
  for (const m of models) {
    console.log(
      row([
        m.label,
        ...SETS.flatMap((s) => [setScore(m.inSample, s.pattern), setScore(m.heldOut, s.pattern)]),
      ]),
    );
  }

  console.log(
    '\nPer CPU, leave-one-CPU-out error of the fitted curve (its TDP; W/thread stand-in) and the lookup held out:\n',
  );
  console.log(
    row([
      'CPU',
      'TDP W',
      'threads',
      'sets',
      'curve, own TDP %',
      'curve, W/thread TDP %',
      'lookup, other sweep %',
    ]),
  );
  console.log(row(['---', '---:', '---:', '---', '---:', '---:', '---:']));
  for (const c of cpus) {
    const curve = cpuError(c, (u) => curveModel(loo.get(c.id)!)(c.tdpW, u));
    const threads = cpuError(c, (u) => curveModel(looThreads.get(c.id)!)(tdpFromThreads(c), u));
    const lookups = Object.values(c.sets)
      .map((p) => models[0]!.heldOut(c, p))
      .filter((x): x is number => x !== null);
    console.log(
      row([
        c.name,
        c.tdpW,
        c.threads,
        Object.keys(c.sets).join(', '),
        pct(curve),
        pct(threads),
        lookups.length ? lookups.map(pct).join(' / ') : '–',
      ]),
    );
  }

  // A band is the held-out error averaged over the validation sets, each set counting the same:
  // averaged over CPUs instead, Teads' seven similar Xeons would outweigh the rest.
  const setMean = (scorer: Scorer): number => {
    const means = SETS.map((s) => setScore(scorer, s.pattern))
      .filter((x) => x !== '–')
      .map(Number);
    return Math.round(avg(means)) / 100;
  };
  const bandProfile = setMean(models[0]!.heldOut);
  const bandSamePattern = setMean(models[1]!.heldOut);
  const bandCurve = setMean(models[2]!.heldOut);
  const bandThreads = setMean(models[3]!.heldOut);
  console.log(
    `\nBands (held-out error, mean over the validation sets, rounded to a whole per cent): measured profile ` +
      `±${Math.round(bandProfile * 100)} %, curve with the CPU's TDP ±${Math.round(bandCurve * 100)} %, ` +
      `curve with TDP from W/thread ±${Math.round(bandThreads * 100)} %. A measured profile under its own load pattern ` +
      `(each interior point held out): ±${Math.round(bandSamePattern * 100)} %.`,
  );

  const shipped = [CURVE_A, CURVE_B, CURVE_K, BAND_PROFILE, BAND_CURVE, BAND_CURVE_W_PER_THREAD];
  const found = [fitted.a, fitted.b, fitted.k, bandProfile, bandCurve, bandThreads];
  if (shipped.some((v, i) => Math.abs(v - found[i]!) > 1e-9)) {
    console.log(
      `\nMISMATCH: the fit gives (a, b, k, bands) = (${found.join(', ')}); src/meters/power-model.ts ships (${shipped.join(', ')}).`,
    );
    process.exitCode = 1;
  } else {
    console.log('\nThe constants in src/meters/power-model.ts are this fit and these bands.');
  }
}

await main();
