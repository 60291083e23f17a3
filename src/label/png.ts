/**
 * The label as PNG, rendered from its SVG by resvg (@resvg/resvg-js, a prebuilt native module).
 *
 * Fonts: Inter ships with the tool (@expo-google-fonts/inter, OFL), so a PNG looks the same on
 * every machine, fonts installed or not; system fonts are loaded too, for characters Inter lacks.
 * resvg draws no text at all when it finds no font, so that is checked first and is an error
 * rather than a label with blank lines.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { errorMessage, runError } from '../errors.js';
import { LABEL_FONT_FAMILY } from './svg.js';

type ResvgModule = typeof import('@resvg/resvg-js');

/** The Inter weights the label uses: captions 400, values 500, the model name and "estimated" 700. */
const INTER_FILES = [
  '400Regular/Inter_400Regular.ttf',
  '500Medium/Inter_500Medium.ttf',
  '700Bold/Inter_700Bold.ttf',
];

export interface LabelPngOptions {
  /** Font files to load; default: the bundled Inter. */
  fontFiles?: string[];
  /** Also load the system's fonts (default true). */
  loadSystemFonts?: boolean;
}

/** Paths of the bundled Inter files that are present (none if the package is missing). */
export function bundledFontFiles(): string[] {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = require.resolve('@expo-google-fonts/inter/package.json').replace(/package\.json$/, '');
  } catch {
    return [];
  }
  return INTER_FILES.map((file) => root + file).filter((file) => existsSync(file));
}

export async function labelPng(svg: string, options: LabelPngOptions = {}): Promise<Buffer> {
  const { Resvg } = await loadResvg();
  const font = {
    fontFiles: options.fontFiles ?? bundledFontFiles(),
    loadSystemFonts: options.loadSystemFonts ?? true,
    defaultFontFamily: 'Inter',
  };
  const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="0" y="30" font-size="20" font-family="${LABEL_FONT_FAMILY.replace(/"/g, '&quot;')}">Wh</text></svg>`;
  if (new Resvg(probe, { font }).getBBox() === undefined) {
    throw runError(
      'cannot draw the label’s text: no font was found',
      'reinstall energy-score (it ships the Inter font), or install a font (e.g. apt-get install fonts-dejavu-core); SVG output needs no font',
    );
  }
  return new Resvg(svg, { font, fitTo: { mode: 'original' } }).render().asPng();
}

async function loadResvg(): Promise<ResvgModule> {
  try {
    return await import('@resvg/resvg-js');
  } catch (err) {
    throw runError(
      `PNG output needs @resvg/resvg-js, which did not load here: ${errorMessage(err)}`,
      'write SVG instead (leave out --png), or reinstall energy-score on a supported platform',
    );
  }
}
