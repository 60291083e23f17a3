/** Fakes for tests of code that measures: meters, a workload and a clock that need no hardware. */
export { FakeMeter, type FakeMeterOptions } from './fake-meter.js';
export { ScriptedMeter, type ScriptedMeterOptions } from './scripted-meter.js';
export { FakeClock } from './fake-clock.js';
export { FakeWorkload, type FakeWorkloadOptions } from './fake-workload.js';
