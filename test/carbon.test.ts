import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { EnergyScoreError } from '../src/errors.js';
import {
  carbonFigures,
  carbonSettings,
  carbonText,
  closeRegions,
  loadEnergyMix,
  parseEnergyMix,
  WORLD_AVERAGE_G_CO2E_PER_KWH,
} from '../src/carbon/carbon.js';

/** Runs `fn`, expects a usage error, and returns it for a closer look. */
function usage(fn: () => unknown): EnergyScoreError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EnergyScoreError, `not an EnergyScoreError: ${String(err)}`);
    assert.equal(err.kind, 'usage');
    return err;
  }
  assert.fail('no error thrown');
}

describe('grid data (CodeCarbon global_energy_mix.json)', () => {
  test('the shipped file loads: 213 ISO 3166 alpha-3 entries with their own years', () => {
    const mix = loadEnergyMix();
    assert.equal(mix.size, 213);
    for (const [key, region] of mix) {
      assert.match(key, /^[A-Z]{3}$/);
      assert.equal(region.iso, key);
    }
    assert.deepEqual(mix.get('FRA'), { iso: 'FRA', country: 'France', gCo2ePerKwh: 56.039, year: 2023 });
    assert.deepEqual(mix.get('DEU'), { iso: 'DEU', country: 'Germany', gCo2ePerKwh: 380.95, year: 2023 });
    assert.equal(mix.get('ABW')?.year, 2022);
    assert.equal(mix.get('ESH')?.year, 2009);
  });

  test('an entry without a carbon intensity is refused', () => {
    assert.throws(
      () => parseEnergyMix('{"XYZ": {"country_name": "X", "year": 2022}}', 'mix.json'),
      /mix\.json: entry XYZ has no usable carbon_intensity and year/,
    );
    assert.throws(() => parseEnergyMix('[1]', 'mix.json'), /mix\.json: not an object/);
  });
});

describe('carbonSettings', () => {
  test('without a choice: the world average, labelled as such, and no price', () => {
    const settings = carbonSettings({});
    assert.equal(settings.gCo2ePerKwh, 475);
    assert.equal(WORLD_AVERAGE_G_CO2E_PER_KWH, 475);
    assert.equal(settings.kind, 'world-average');
    assert.equal(
      settings.source,
      "world average 475 gCO2e/kWh (CodeCarbon's fallback; pass --region or --carbon-intensity)",
    );
    assert.equal(settings.region, null);
    assert.equal(settings.pricePerKwh, null);
  });

  test('--region: case-insensitive, with country, year and source', () => {
    const settings = carbonSettings({ region: ' fra ' });
    assert.equal(settings.gCo2ePerKwh, 56.039);
    assert.equal(settings.kind, 'region');
    assert.equal(settings.source, 'France (FRA), 2023, CodeCarbon global_energy_mix');
    assert.equal(settings.region?.iso, 'FRA');
  });

  test('--carbon-intensity: any number ≥ 0, zero included', () => {
    const settings = carbonSettings({ carbonIntensity: '120' });
    assert.equal(settings.gCo2ePerKwh, 120);
    assert.equal(settings.kind, 'given');
    assert.equal(settings.source, 'given: 120 gCO2e/kWh');
    assert.equal(carbonSettings({ carbonIntensity: '0' }).gCo2ePerKwh, 0);
    assert.equal(carbonSettings({ carbonIntensity: 12.5 }).gCo2ePerKwh, 12.5);
  });

  test('--price: a number ≥ 0', () => {
    assert.equal(carbonSettings({ price: '0.25' }).pricePerKwh, 0.25);
    assert.equal(carbonSettings({ price: '0' }).pricePerKwh, 0);
  });

  test('bad numbers are usage errors that show an example', () => {
    for (const bad of ['-1', 'abc', '', ' ', 'Infinity', 'NaN', '0.25EUR', '€0.25']) {
      const price = usage(() => carbonSettings({ price: bad }));
      assert.equal(price.message, `--price must be a number ≥ 0, got '${bad}'`);
      assert.equal(price.hint, 'for example --price 0.25 (per kWh)');
      const intensity = usage(() => carbonSettings({ carbonIntensity: bad }));
      assert.equal(intensity.message, `--carbon-intensity must be a number ≥ 0, got '${bad}'`);
    }
  });

  test('--carbon-intensity and --region together are a usage error', () => {
    const err = usage(() => carbonSettings({ carbonIntensity: '100', region: 'FRA' }));
    assert.equal(err.message, '--carbon-intensity and --region both set the grid carbon intensity');
  });

  test('an unknown region says what a code looks like and suggests close ones', () => {
    const typo = usage(() => carbonSettings({ region: 'FRX' }));
    assert.equal(typo.message, "unknown region 'FRX'");
    assert.match(
      typo.hint!,
      /^--region takes an ISO 3166 alpha-3 country code, like FRA, DEU, USA; did you mean /,
    );
    assert.match(typo.hint!, /FRA \(France\)/);

    assert.match(usage(() => carbonSettings({ region: 'Germany' })).hint!, /did you mean DEU \(Germany\)\?$/);
    assert.match(usage(() => carbonSettings({ region: 'uk' })).hint!, /did you mean GBR \(United Kingdom\)/);
    assert.equal(
      usage(() => carbonSettings({ region: 'QQQQQQ' })).hint,
      '--region takes an ISO 3166 alpha-3 country code, like FRA, DEU, USA',
    );
  });

  test('closeRegions: a name, initials, an alpha-2 prefix, one letter off', () => {
    const mix = loadEnergyMix();
    const codes = (input: string) => closeRegions(input, mix).map((r) => r.iso);
    assert.deepEqual(codes('Germany'), ['DEU']);
    assert.deepEqual(codes('GER'), ['DEU', 'DZA', 'NER', 'NGA', 'GBR']);
    assert.deepEqual(codes('UK'), ['GBR', 'UKR']);
    assert.deepEqual(codes('uae'), ['ARE']);
    assert.deepEqual(codes('fr'), ['FRA', 'FRO']);
    assert.deepEqual(codes('FRX'), ['FRA', 'FRO']);
    assert.deepEqual(codes('QQQQQQ'), []);
  });
});

describe('carbonFigures', () => {
  test('2 Wh per 1k queries at 475 g/kWh: 0.95 g per 1k, 950 g per million, no cost', () => {
    const figures = carbonFigures(2, carbonSettings({}));
    assert.deepEqual(figures, {
      whPer1k: 2,
      gCo2ePer1k: 0.95,
      gCo2ePerMillion: 950,
      costPer1k: null,
      costPerMillion: null,
    });
  });

  test('with a price: 2 Wh per 1k at 0.25 per kWh costs 0.5 per million and 0.0005 per 1k', () => {
    const figures = carbonFigures(2, carbonSettings({ carbonIntensity: '100', price: '0.25' }));
    assert.equal(figures.gCo2ePerMillion, 200);
    assert.equal(figures.gCo2ePer1k, 0.2);
    assert.equal(figures.costPerMillion, 0.5);
    assert.equal(figures.costPer1k, 0.0005);
  });

  test('a region: 1 Wh per 1k in France is 56.039 g per million', () => {
    const figures = carbonFigures(1, carbonSettings({ region: 'FRA' }));
    assert.equal(figures.gCo2ePerMillion, 56.039);
    assert.ok(Math.abs(figures.gCo2ePer1k - 0.056039) < 1e-15);
  });
});

describe('carbonText', () => {
  test('one line with the source and the price or how to give one', () => {
    assert.equal(
      carbonText(carbonSettings({})),
      "grid carbon intensity world average 475 gCO2e/kWh (CodeCarbon's fallback; pass --region or --carbon-intensity); no electricity price given (pass --price for cost)",
    );
    assert.equal(
      carbonText(carbonSettings({ region: 'deu', price: '0.3' })),
      'grid carbon intensity 381 gCO2e/kWh: Germany (DEU), 2023, CodeCarbon global_energy_mix; electricity price 0.3 per kWh (your currency)',
    );
    assert.equal(
      carbonText(carbonSettings({ carbonIntensity: '120' })),
      'grid carbon intensity given: 120 gCO2e/kWh; no electricity price given (pass --price for cost)',
    );
  });
});
