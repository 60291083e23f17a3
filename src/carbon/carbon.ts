/**
 * Carbon and cost of the measured energy: grams of CO2-equivalent and money per 1,000 and per
 * million queries, from a grid carbon intensity (given, a country's yearly average from
 * CodeCarbon's global_energy_mix.json, or the world average) and an optional electricity price.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { errorMessage, runError, usageError } from '../errors.js';
import { formatSig } from '../render/numbers.js';
import type { CarbonSettings, GridRegion } from '../result/schema.js';

export type { CarbonSettings, GridRegion } from '../result/schema.js';

/** The shipped per-country grid data, found relative to this module (dist/src/report → project root). */
export const ENERGY_MIX_URL = new URL('../../../data/codecarbon/global_energy_mix.json', import.meta.url);

/** What CodeCarbon falls back to when it cannot tell the country, gCO2e/kWh. */
export const WORLD_AVERAGE_G_CO2E_PER_KWH = 475;

/** The tool cannot know the currency a price was given in, so every money figure says so. */
export const PRICE_UNIT = 'per kWh (your currency)';

export type EnergyMix = ReadonlyMap<string, GridRegion>;

export interface CarbonOptions {
  carbonIntensity?: string | number | undefined;
  region?: string | undefined;
  price?: string | number | undefined;
}

export interface CarbonFigures {
  whPer1k: number;
  gCo2ePer1k: number;
  gCo2ePerMillion: number;
  /** In the currency of the price; null without one. */
  costPer1k: number | null;
  costPerMillion: number | null;
}

const cache = new Map<string, EnergyMix>();

/** Parse global_energy_mix.json's text: `{ ISO3: { country_name, carbon_intensity, year, … } }`. */
export function parseEnergyMix(text: string, file: string): EnergyMix {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw runError(`${file} is not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw runError(`${file}: not an object`);
  const mix = new Map<string, GridRegion>();
  for (const [key, value] of Object.entries(raw)) {
    const entry = value as Record<string, unknown> | null;
    const g = entry?.carbon_intensity;
    const year = entry?.year;
    const country = entry?.country_name;
    if (typeof g !== 'number' || !Number.isFinite(g) || g < 0 || typeof year !== 'number') {
      throw runError(`${file}: entry ${key} has no usable carbon_intensity and year`);
    }
    const iso = key.toUpperCase();
    mix.set(iso, { iso, country: typeof country === 'string' ? country : iso, gCo2ePerKwh: g, year });
  }
  return mix;
}

/** The per-country grid figures (default: the shipped copy), read once per file. */
export function loadEnergyMix(file: string | URL = ENERGY_MIX_URL): EnergyMix {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const cached = cache.get(path);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw runError(
      `cannot read the grid carbon data ${path}: ${errorMessage(err)}`,
      'the package data (data/codecarbon/) is missing; reinstall energy-score',
    );
  }
  const mix = parseEnergyMix(text, path);
  cache.set(path, mix);
  return mix;
}

function nonNegative(value: string | number, option: string, example: string): number {
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) {
    throw usageError(
      `${option} must be a number ≥ 0, got '${String(value)}'`,
      `for example ${option} ${example}`,
    );
  }
  return n;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Codes a mistyped region may have meant: one letter off, a country name typed instead, an
 * alpha-2 code (US, DE) or initials (UK, UAE).
 */
export function closeRegions(input: string, mix: EnergyMix, limit = 5): GridRegion[] {
  const wanted = input.trim().toUpperCase();
  const initials = (name: string) =>
    name
      .split(/[\s-]+/)
      .filter((w) => /^[A-Z]/.test(w))
      .map((w) => w[0])
      .join('');
  const scored: [number, GridRegion][] = [];
  for (const region of mix.values()) {
    const name = region.country.toUpperCase();
    // Lower is closer; the first test that holds gives the score.
    const tests: [boolean, number][] = [
      [wanted.length >= 3 && name === wanted, 0],
      [wanted.length >= 2 && initials(region.country) === wanted, 1],
      [wanted.length >= 3 && name.includes(wanted), 2],
      [wanted.length === 2 && region.iso.startsWith(wanted), 3],
      [wanted.length === 3 && editDistance(wanted, region.iso) === 1, 4],
    ];
    const hit = tests.find(([holds]) => holds);
    if (hit) scored.push([hit[1], region]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].iso.localeCompare(b[1].iso));
  return scored.slice(0, limit).map(([, region]) => region);
}

/**
 * The grid intensity and price to use, from --carbon-intensity or --region (not both) and
 * --price. `mix` is read from the shipped data only when a region is asked for.
 */
export function carbonSettings(options: CarbonOptions, mix?: EnergyMix): CarbonSettings {
  const given = options.carbonIntensity;
  const regionCode = options.region;
  const pricePerKwh =
    options.price === undefined ? null : nonNegative(options.price, '--price', '0.25 (per kWh)');
  if (given !== undefined && regionCode !== undefined) {
    throw usageError(
      '--carbon-intensity and --region both set the grid carbon intensity',
      'pass one: --region FRA for a country average, or --carbon-intensity 120 (gCO2e/kWh)',
    );
  }
  if (given !== undefined) {
    const g = nonNegative(given, '--carbon-intensity', '120 (gCO2e/kWh)');
    return { gCo2ePerKwh: g, kind: 'given', source: `given: ${g} gCO2e/kWh`, region: null, pricePerKwh };
  }
  if (regionCode !== undefined) {
    const table = mix ?? loadEnergyMix();
    const code = regionCode.trim().toUpperCase();
    const region = table.get(code);
    if (!region) {
      const close = closeRegions(regionCode, table).map((r) => `${r.iso} (${r.country})`);
      throw usageError(
        `unknown region '${regionCode}'`,
        `--region takes an ISO 3166 alpha-3 country code, like FRA, DEU, USA` +
          (close.length ? `; did you mean ${close.join(', ')}?` : ''),
      );
    }
    return {
      gCo2ePerKwh: region.gCo2ePerKwh,
      kind: 'region',
      source: `${region.country} (${region.iso}), ${region.year}, CodeCarbon global_energy_mix`,
      region,
      pricePerKwh,
    };
  }
  return {
    gCo2ePerKwh: WORLD_AVERAGE_G_CO2E_PER_KWH,
    kind: 'world-average',
    source: `world average ${WORLD_AVERAGE_G_CO2E_PER_KWH} gCO2e/kWh (CodeCarbon's fallback; pass --region or --carbon-intensity)`,
    region: null,
    pricePerKwh,
  };
}

/**
 * Carbon and cost of an energy figure. A million queries use `whPer1k` kWh, so grams per
 * million is whPer1k × gCO2e/kWh and cost per million whPer1k × price; per 1,000 is a thousandth.
 */
export function carbonFigures(whPer1k: number, settings: CarbonSettings): CarbonFigures {
  const gCo2ePerMillion = whPer1k * settings.gCo2ePerKwh;
  const costPerMillion = settings.pricePerKwh === null ? null : whPer1k * settings.pricePerKwh;
  return {
    whPer1k,
    gCo2ePer1k: gCo2ePerMillion / 1000,
    gCo2ePerMillion,
    costPer1k: costPerMillion === null ? null : costPerMillion / 1000,
    costPerMillion,
  };
}

/** One line for reports: the intensity with its source, and the price or how to give one. */
export function carbonText(settings: CarbonSettings): string {
  const intensity =
    settings.kind === 'region'
      ? `grid carbon intensity ${formatSig(settings.gCo2ePerKwh, 3)} gCO2e/kWh: ${settings.source}`
      : `grid carbon intensity ${settings.source}`;
  const price =
    settings.pricePerKwh === null
      ? 'no electricity price given (pass --price for cost)'
      : `electricity price ${settings.pricePerKwh} ${PRICE_UNIT}`;
  return `${intensity}; ${price}`;
}

/**
 * The carbon settings a stored result is reported with: the options given replace only what
 * they name (a price alone keeps the run's grid intensity; an intensity or region alone keeps the
 * run's price); a result without settings gets the options, else the world average.
 */
export function mergeCarbon(stored: CarbonSettings | undefined, options: CarbonOptions): CarbonSettings {
  const givenIntensity = options.carbonIntensity !== undefined || options.region !== undefined;
  const fresh = carbonSettings(options);
  if (stored && !givenIntensity)
    return { ...stored, pricePerKwh: options.price !== undefined ? fresh.pricePerKwh : stored.pricePerKwh };
  return {
    ...fresh,
    pricePerKwh: options.price !== undefined || !stored ? fresh.pricePerKwh : stored.pricePerKwh,
  };
}
