/**
 * Slurm submission for the `slurm` executor: its `run.slurm:` options, the sbatch script, the `sbatch`/`squeue`/`sacct` client and the job files it keeps next to each instance.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export {
  type JobStatus,
  outputPath,
  readFrom,
  readJournal,
  readStatus,
  removeJournal,
  scriptDir,
  statusPath,
  tailLines,
  tryRemove,
  writeJournal,
} from "./job_files.ts";
export {
  type JobPlacement,
  placementFor,
  type SlurmFlags,
  SlurmOptionError,
  type SlurmOptions,
  slurmOptionsFrom,
  type SlurmSection,
  slurmSectionSchema,
} from "./options.ts";
export { type BatchSpec, KEY_PLACEHOLDER, renderBatchScript } from "./sbatch_script.ts";
export { SlurmCli } from "./slurm_cli.ts";
export { describeEnd, type JobInfo, jobPhase } from "./slurm_state.ts";
