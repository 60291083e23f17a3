/** The library API: the CLI is one consumer of these. */

// The use-cases, one per command: plain typed functions, no printing.
export { bench, benchExitCode, type BenchRequest, type BenchEvents } from './app/bench.js';
export { startMeters, type MeterRequest, type StartedMeters } from './app/meters.js';
export { measure, type MeasureRequest } from './app/measure.js';
export { diagnose, type DoctorReport, type MeterDiagnosis, type ProviderStatus } from './app/doctor.js';
export { inspect, type InspectReport } from './app/inspect.js';
export { rateFiles, type RatedFile } from './app/rate.js';
export { ratingPlan, type RatingRequest } from './app/rating-plan.js';
export { checkFiles, type CheckRequest } from './app/check.js';
export { compareFiles } from './app/compare.js';
export { runCheck, type CheckLimits, type CheckReport } from './gate/check.js';
export { planFidelity, parseReference, type FidelityRequest } from './app/fidelity.js';
export { compareSamples, fidelityRecord } from './fidelity/compare.js';
export { DEFAULT_LIMITS, DEFAULT_FIDELITY_QUERIES, type FidelityLimits } from './fidelity/thresholds.js';
export { compareDocuments, type CompareReport } from './gate/compare.js';
// Precision conversion on the ONNX protobuf: decoded fp32 model in, converted model and report out.
export { converterFor } from './convert/registry.js';
export { convertToFloat16 } from './convert/fp16.js';
export { quantizeDynamic, type QuantizeOptions } from './convert/quantize-dynamic.js';
export { quantize4Bit } from './convert/quantize-4bit.js';
export { convertedVariant, defaultCacheDir } from './convert/cache.js';
export { ConversionRefused, type Converted, type ConversionReport } from './convert/types.js';
export { decodeModel, encodeModel, type ModelProto } from './model/onnx-proto.js';
export type { MeasureDocument, MeasuredDomain } from './result/measure.js';
export { OutputSink, type OutputFormat, type OutputRequest } from './export/sink.js';
export { renderTable } from './export/table.js';
export {
  frugalVerdicts,
  verdictTexts,
  compareEnergy,
  type ModelVerdict,
  type VerdictText,
  type EnergyComparison,
} from './render/verdict.js';
export { renderMeasureText } from './export/measure-text.js';
export { renderDoctor } from './export/doctor-text.js';
export { EnergyScoreError, usageError, runError } from './errors.js';
export { inspectModel, formatShape, type ModelInfo, type TensorInfo, type Dim } from './model/inspect.js';
export {
  discoverModel,
  selectVariants,
  parsePrecision,
  parseVariantFileName,
  PRECISIONS,
  type Precision,
  type ModelSource,
  type ModelVariant,
} from './model/variants.js';
export {
  TASK_NAMES,
  getTask,
  listTasks,
  sampleQuerySizes,
  type TaskName,
  type TaskDefinition,
} from './workload/tasks.js';
export { inferTask } from './workload/infer-task.js';
export { parseOverrides, type InputOverrides } from './workload/overrides.js';
export { planInputs, type SynthesisPlan } from './workload/input-plan.js';
export { planBatches } from './workload/batches.js';
export { buildBatch } from './workload/tensors.js';
export { checkTaskFits, inputKinds } from './workload/modality.js';
export { prepareData, type DataChoice, type PreparedData } from './inputs/prepare.js';
export { loadTokenizer, type TextTokenizer } from './inputs/tokenizer.js';
export {
  planBench,
  runBench,
  newDocument,
  DEMO_MODELS,
  type BenchOptions,
  type BenchHooks,
  type PlannedConfig,
} from './app/bench-plan.js';
export { runConfiguration, type ConfigSpec } from './runner/run-config.js';
export { runTrials, trialsEnergy } from './runner/trials.js';
export { OrtWorkload } from './runner/ort-workload.js';
export { GenerationWorkload, type GenerationSpec } from './runner/generation-workload.js';
export { generate, type Generation, type GenerationSessions } from './runner/generate.js';
export {
  detectLayout,
  readGenerativeFiles,
  type GenerationLayout,
  type LayoutDetection,
} from './workload/generation-layout.js';
export {
  systemClock,
  type Clock,
  type Workload,
  type Preparation,
  type BatchRun,
} from './runner/workload.js';
export { DEVICES, type Device, cudaProviderInstalled, CUDA_INSTALL_COMMAND } from './runner/providers.js';
export { collectEnvironment } from './env/environment.js';
export { summarize, percentile, modifiedZScores, type Summary } from './stats/summary.js';
export { toJson, toCsv, toMarkdown } from './export/formats.js';
export {
  SCHEMA_VERSION,
  type RunDocument,
  type ConfigResult,
  type GenerationFigures,
  type InputData,
} from './result/schema.js';
export {
  meterFactories,
  probeMeters,
  selectMeters,
  stopMeters,
  parseMeterList,
  METER_NAMES,
  type MeterStatus,
} from './meters/registry.js';
export { nvmlMeterFactory } from './meters/nvml.js';
export { nvidiaSmiMeterFactory } from './meters/nvidia-smi.js';
export { raplMeterFactory } from './meters/rapl.js';
export { cpuEstimateMeterFactory } from './meters/cpu-estimate.js';
export { resolvePowerModel, type PowerModel, type PowerModelKind } from './meters/power-model.js';
export { processCpuTimes, processTreeCpuTimes, type CpuTimeSources } from './meters/cpu-time.js';
export { loadPowerProfiles, type PowerProfile, type PowerProfileTable } from './devices/power-profiles.js';
export { readGpuInventory } from './devices/gpu-inventory.js';
export type {
  EnergyMeter,
  EnergyReading,
  MeterFactory,
  MeterInfo,
  Mark,
  EnergyDomain,
  MeterMethod,
  MeterName,
  MeterLabel,
} from './meters/types.js';
export {
  DEFAULT_PROTOCOL,
  DEFAULT_ROUNDS,
  measureIdle,
  energyResult,
  type ProtocolSettings,
} from './runner/protocol.js';
export { Rotation, type Turn } from './runner/turns.js';
export { planRounds, type RoundsPlan } from './app/rounds.js';
export { pairedRatio95, type PairedRatio, type RoundSeries } from './stats/paired-rounds.js';
export { defaultSpin, type Spin, type SpinSetting } from './runner/spin.js';
export { meanInterval95, type MeanInterval } from './stats/batch-means.js';
export { type EnergySetup } from './runner/run-config.js';
export { measureCommand } from './app/measure.js';
export { SCALE_NAMES, rateValue, rateValues, type ScaleName, type StarRating } from './rating/scales.js';
export {
  rateAgainst,
  rateCohort,
  sizeClassForParameters,
  type Cohort,
  type CohortEntry,
} from './rating/cohort.js';
export { loadReferenceCohorts, findReferenceCohort } from './sources/aies.js';
export type { ReferenceCohort } from './rating/reference.js';
export { rateItems, type RatedItem, type RatingPlan } from './rating/assign.js';
export { rowOfResult, cohortKey, identityKey, dedupeRows, type EnergyRow } from './rating/rows.js';
export { readRowFile, readRowFiles, type RowFile } from './sources/files.js';
export { buildBoard, type Board } from './leaderboard/merge.js';
export { LEADERBOARD_COLUMNS } from './leaderboard/columns.js';
export { toLeaderboardCsv, toLeaderboardMarkdown } from './export/leaderboard.js';
export { parseLeaderboardCsv } from './sources/leaderboard-csv.js';
export { readRunDocument, parseRunDocument } from './result/read.js';
export {
  carbonSettings,
  carbonFigures,
  carbonText,
  mergeCarbon,
  type CarbonSettings,
  type CarbonFigures,
} from './carbon/carbon.js';
export { renderHtmlReport } from './export/html.js';
export { labelSvg } from './label/svg.js';
export { labelPng } from './label/png.js';
export type {
  Rating,
  RatingRated,
  RatingUnrated,
  RatingCohort,
  ModelBand,
  OtherCpuLoad,
} from './result/schema.js';
