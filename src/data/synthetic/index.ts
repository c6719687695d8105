/**
 * Seeded synthetic agent data from any function definition: argument values sampled from the schema
 * (enums, defaults, examples and keywords in the parameter descriptions, type-appropriate values),
 * a simulated environment that checks each call against the schema and answers with an output or an
 * error, trajectories with failed calls and their retry, multi-turn and parallel variants, code that
 * uses the function, and Stage III instruction pairs. The embedded default sample
 * ({@link syntheticCorpus}) is this generator run over {@link SAMPLE_TOOLS}.
 *
 * Everything is a pure function of the {@link Rng} passed in: same seed, same bytes.
 * Browser-safe.
 * @module
 */

export { SAMPLE_TOOLS } from './tools.js';
export { sampleValue, sampleArguments } from './values.js';
export type { SampleArgumentsOptions } from './values.js';
export { simulateEnvironment } from './environment.js';
export { TRAJECTORY_VARIANTS, syntheticTrajectorySteps, syntheticTrajectories } from './trajectories.js';
export type { TrajectoryVariant, TrajectoryStepOptions, SyntheticTrajectoryOptions } from './trajectories.js';
export { syntheticCode, syntheticInstruction, syntheticToolDoc } from './documents.js';
export type { SyntheticCodeOptions, SyntheticInstructionOptions } from './documents.js';
export { syntheticCorpus } from './corpus.js';
export type { SyntheticOptions } from './corpus.js';
