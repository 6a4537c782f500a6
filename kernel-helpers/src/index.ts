/**
 * kernel-helpers: the library behind the parallelism notebooks.
 * This file only lists what is public.
 */
export { Pool, AsyncResult, BACKENDS } from "./pool";
export { withPool } from "./with-pool";
export type { Backend, PoolOptions, MapOptions, TaskArgs, TaskResult } from "./pool";
export type { ApplyOptions, ImapOptions, Items, TaskReference } from "./pool";
export { terminateAll, liveResourceCount, installKernelShutdownHook } from "./cleanup";
import { installKernelShutdownHook } from "./cleanup";

// Loaded in a tslab kernel: a kernel shutdown also stops the workers.
installKernelShutdownHook();
export {
  InvalidOptionError,
  PoolClosedError,
  PoolStateError,
  TaskError,
  WorkerCrashedError,
  TaskCancelledError,
  TimeoutError,
  ProtocolError,
  InitializerError,
} from "./errors";
export { tasks } from "./tasks";
export type { Tasks, TaskName } from "./tasks";
export { leibnizPi, leibnizPiById, leibnizPiArrays } from "./tasks/leibniz";
export { integrate, integratePolynomial, evaluatePolynomial } from "./tasks/integrate";
export type { Integral, IntegrateOptions } from "./tasks/integrate";
export { sumRandomNumbers, monteCarloPi } from "./tasks/random";
export { sumRandomNumbersToQueue, sumRandomNumbersJob, sumRandomNumbersTraced, nestedPoolJob, poolInsidePoolWorker, monteCarloPiJob } from "./tasks/jobs";
export type { TracedSum, NestedTask, NestedResult, NestedJobOptions } from "./tasks/jobs";
export { Queue, QueueEmpty, QueueClosedError } from "./queue";
export type { QueueLike, GetOptions, OrphanedItem } from "./queue";
export { Process, ProcessFailedError } from "./process";
export { collectResults } from "./collect-results";
export { Manager, ManagerProxy, connectManager, ManagerUnavailableError } from "./manager";
export { checkSendable, UnsendableValueError } from "./sendable";
export type { SendableOptions } from "./sendable";
export { MAX_FRAME_BYTES } from "./frames";
export type { ManagerLike, ManagerReference, BatchOperation, Key } from "./manager";
export { lucasSequenceWorker, incrementCounter, incrementSharedCounter, managerWrites } from "./tasks/shared";
export type { LucasEntry, IncrementMode } from "./tasks/shared";
export type { ProcessOptions, ModuleTarget } from "./process";
export type { CollectOptions } from "./collect-results";
export { loadTensors, leibnizPiTensor } from "./vectorised";
export type { TensorLibrary } from "./vectorised";
export { mean, median, quantile, standardDeviation, summarize, speedup, parallelEfficiency, compareTimes, amdahlSpeedup, fitAmdahl, ladder } from "./stats";
export type { TimingSummary, AmdahlFit } from "./stats";
export { resultsDir } from "./results";
export { time, timeRepeated, measure } from "./timing";
export type { Timed, RepeatOptions, RepeatedTiming, MeasureOptions } from "./timing";
export { displayBundle, inKernel, newDisplayId } from "./display";
export type { MimeBundle, DisplayOptions } from "./display";
export { showFigure, loadPlotly, figureBundle } from "./plot";
export type { Figure, Trace } from "./plot";
export { showTable, tableText } from "./table";
export type { Row, TableOptions } from "./table";
export { textTable } from "./text-table";
export type { Align, TextTableOptions } from "./text-table";
export { progress } from "./progress";
export type { Progress } from "./progress";
export { machineSummary, machineLine, coresExplained, parallelCores } from "./machine";
export type { MachineSummary } from "./machine";
export { coresFromEnv, scaleFromEnv, integerFromEnv, choiceFromEnv, byScale, SCALES } from "./params";
export type { Scale } from "./params";
export { cpuSnapshot, otherCores, ownCpuMs, observe } from "./cpu";
export type { CpuSnapshot, Observed } from "./cpu";
export { checkQuiet, quietVerdict, showQuiet, BUSY_OTHER_CORES, SPEED_DRIFT } from "./noise";
export type { QuietCheck } from "./noise";
export { efficiencyWord, describeSpeedup, relativeSpeed, shareOf, costWord, CLOSE_TO_IDEAL, GOOD_EFFICIENCY, MODEST_EFFICIENCY, ABOVE_IDEAL_MARGIN, SAME_TIME } from "./wording";
export { pythonOriginal, findPython, PythonUnavailableError, PythonFailedError } from "./python";
export type { PythonInfo, PythonMeasurements, PythonMeasurement, PythonRunOptions } from "./python";
export { rangeBars, timeline } from "./charts";
export type { RangeBar, RangeBarsOptions, Span } from "./charts";
export { transferableBuffers, isDetached } from "./transfer";
export type { TransferOptions } from "./transfer";
export { ClusterPool } from "./cluster/pool";
export type { ClusterPoolOptions, ClusterTaskArgs, ClusterTaskResult } from "./cluster/pool";
export type { JobRecord } from "./cluster/tracker";
export { CLUSTER_TASKS, checkJobData } from "./cluster/protocol";
export type { ClusterTaskName, HostInfo, JobEnvelope } from "./cluster/protocol";
export { RedisUnavailableError, JobFailedError, JobStalledError, JobLostError, UnknownTaskError, TaskSourceRefusedError, NoWorkerHostsError } from "./cluster/errors";
export { startRedis, RedisServer, findRedisServer, redisInstallHint } from "./cluster/redis-server";
export type { RedisServerOptions, Persistence } from "./cluster/redis-server";
export { redactUrl, redisUrlFromEnv } from "./cluster/redis-url";
export { WorkerHost } from "./cluster/worker-host";
export type { WorkerHostOptions } from "./cluster/worker-host";
export { startWorkerHosts, LocalWorkerHosts } from "./cluster/local-hosts";
export type { LocalHostsOptions, LocalHost } from "./cluster/local-hosts";
export { openCluster, Cluster } from "./cluster/local";
export type { OpenClusterOptions } from "./cluster/local";
export { startDelayProxy, DelayProxy } from "./cluster/delay-proxy";
export type { DelayProxyOptions } from "./cluster/delay-proxy";
export { predictThroughput, hostsAtCeiling, crossing } from "./cluster/model";
export type { QueueCosts, Bottleneck, ThroughputPrediction } from "./cluster/model";
export { simulateQueue, largestFirst, loadBalance, balanceWord, describeBalance, EVEN_IMBALANCE, NEARLY_EVEN_IMBALANCE, UNEVEN_IMBALANCE } from "./scheduling";
export type { QueueSchedule, LoadBalance } from "./scheduling";
export { laneSummaries, idleAtEnd, traceLines } from "./spans";
export type { LaneSummary, IdleAtEnd } from "./spans";
export { seededRandom, evenlySpaced, nestedWorkload, workloadNumbers } from "./workload";
export type { NestedWorkloadOptions } from "./workload";
export { runQueueWorkers } from "./queue-workers";
export type { QueueWorkersOptions, QueueWorkersRun } from "./queue-workers";
export type { JobSum, WhenRan } from "./tasks/jobs";
export { lateTimer, LocalServer, describeStall, describeOverlap, WAITED_SHARE, OVERLAP_MARGIN } from "./event-loop";
export type { TimerDelay } from "./event-loop";
export { threadpoolSize, pbkdf2InFreshNode, DEFAULT_THREADPOOL_SIZE } from "./threadpool";
export type { Pbkdf2Options } from "./threadpool";
export { measureRawMoves, measurePoolMoves, movesFigure, moveSizes, formatBytes, makeFloat64Array, splitIntoSlices, RAW_MOVES } from "./data-moving";
export type { MoveTiming, MoveOptions, RawMove } from "./data-moving";
export { breakEven, breakEvenFigure, beyondIdeal } from "./break-even";
export type { WorkPoint, BreakEven } from "./break-even";
export { measureCpu, accountSpeedup, explainSpeedup, speedupBars, MIN_ACCOUNTED_MS } from "./speedup-report";
export type { CpuTiming, CpuSamples, SpeedupAccount, SpeedupGroup } from "./speedup-report";
export { splitError, agreeingDigits } from "./precision";
export type { ErrorParts } from "./precision";
export { splitEvenly, managerCounterRace, sharedCounterRace, perSecond, raceRow } from "./counter-races";
export type { CounterRace, RaceOptions } from "./counter-races";
export { measureJobs, withPrivateHosts, jobInProgress, restartDuringJobs, redisRoundTripMs } from "./cluster/lessons";
export type { JobsMeasurement, PrivateHostsOptions, RestartOutcome } from "./cluster/lessons";
export { SERIAL, pointKey, logSpaced, gridPlan, heaviestPoint, runRounds, toRecords, findRecord } from "./benchmark";
export type { GridPoint, PlanOptions, RoundsOptions, PointSamples, RoundsResult, BenchRecord } from "./benchmark";
export { toCsv, saveRun, readSavedRuns } from "./benchmark-files";
export type { SavedRun, SavedFiles, FoundRun, SavedRuns } from "./benchmark-files";
export { assessNoise, clearlyFaster, compareRecords, crossover, logSlope, growthWords, breakEvenMs, coresForCounts, amdahlIfEnough, NOISY_SPREAD } from "./benchmark-findings";
export type { RunNoise, WeightVerdict, Crossover, ScalingPoint, ScalingFit } from "./benchmark-findings";
export { timeVsWeight, speedupHeatmap, scalingFigure, savedRunsFigure } from "./benchmark-charts";
export type { ScalingCurve } from "./benchmark-charts";
export { UnsafeAddressError } from "./manager";
export { JoinableQueue } from "./joinable-queue";
export { QueueFull, ExtraTaskDoneError } from "./queue-api";
export type { PutOptions, QueueOptions, QueueJoinOptions, JoinableQueueLike } from "./queue-api";
export type { ProcessJoinOptions } from "./process";
