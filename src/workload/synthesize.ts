/** The synthesis modules' names in one place, until every importer names the module it uses. */
export * from './input-plan.js';
export * from './fill-constant.js';
export * from './query-sizes.js';
export * from './batches.js';
export * from './memory-fit.js';
export * from './tensors.js';
