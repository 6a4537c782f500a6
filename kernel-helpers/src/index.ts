/**
 * kernel-helpers: the library behind the parallelism notebooks.
 * This file only lists what is public.
 */
export { Pool, AsyncResult, BACKENDS } from "./primitives/pool";
export { withPool } from "./primitives/with-pool";
export type { Backend, PoolOptions, MapOptions, TaskArgs, TaskResult } from "./primitives/pool";
export type { ApplyOptions, ImapOptions, Items, TaskReference } from "./primitives/pool";
export { terminateAll, liveResourceCount, installKernelShutdownHook } from "./primitives/cleanup";
import { installKernelShutdownHook } from "./primitives/cleanup";

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
} from "./primitives/errors";
export { tasks } from "./tasks";
export type { Tasks, TaskName } from "./tasks";
export { leibnizPi, leibnizPiById, leibnizPiArrays } from "./tasks/leibniz";
export { integrate, integratePolynomial, evaluatePolynomial } from "./tasks/integrate";
export type { Integral, IntegrateOptions } from "./tasks/integrate";
export { sumRandomNumbers, monteCarloPi } from "./tasks/random";
export { sumRandomNumbersToQueue, sumRandomNumbersJob, sumRandomNumbersTraced, nestedPoolJob, poolInsidePoolWorker, monteCarloPiJob } from "./tasks/jobs";
export type { TracedSum, NestedTask, NestedResult, NestedJobOptions } from "./tasks/jobs";
export { Queue, QueueEmpty, QueueClosedError } from "./primitives/queue";
export type { QueueLike, GetOptions, OrphanedItem } from "./primitives/queue";
export { Process, ProcessFailedError } from "./primitives/process";
export { collectResults } from "./primitives/collect-results";
export { Manager, ManagerProxy, connectManager, ManagerUnavailableError } from "./primitives/manager";
export { checkSendable, UnsendableValueError } from "./transport/sendable";
export type { SendableOptions } from "./transport/sendable";
export { MAX_FRAME_BYTES } from "./transport/frames";
export type { ManagerLike, ManagerReference, BatchOperation, Key } from "./primitives/manager";
export { lucasSequenceWorker, incrementCounter, incrementSharedCounter, managerWrites } from "./tasks/shared";
export type { LucasEntry, IncrementMode } from "./tasks/shared";
export type { ProcessOptions, ModuleTarget } from "./primitives/process";
export type { CollectOptions } from "./primitives/collect-results";
export { loadTensors, leibnizPiTensor } from "./tasks/vectorised";
export type { TensorLibrary } from "./tasks/vectorised";
export { mean, median, quantile, standardDeviation, summarize, speedup, parallelEfficiency, compareTimes, amdahlSpeedup, fitAmdahl, ladder } from "./measuring/stats";
export type { TimingSummary, AmdahlFit } from "./measuring/stats";
export { resultsDir } from "./measuring/results";
export { time, timeRepeated, measure } from "./measuring/timing";
export type { Timed, RepeatOptions, RepeatedTiming, MeasureOptions } from "./measuring/timing";
export { displayBundle, inKernel, newDisplayId } from "./measuring/display";
export type { MimeBundle, DisplayOptions } from "./measuring/display";
export { showFigure, loadPlotly, figureBundle } from "./measuring/plot";
export type { Figure, Trace } from "./measuring/plot";
export { showTable, tableText } from "./measuring/table";
export type { Row, TableOptions } from "./measuring/table";
export { textTable } from "./measuring/text-table";
export type { Align, TextTableOptions } from "./measuring/text-table";
export { progress } from "./measuring/progress";
export type { Progress } from "./measuring/progress";
export { machineSummary, machineLine, coresExplained, parallelCores } from "./measuring/machine";
export type { MachineSummary } from "./measuring/machine";
export { measureNodeStart } from "./measuring/node-start";
export type { NodeStart } from "./measuring/node-start";
export { coresFromEnv, scaleFromEnv, integerFromEnv, choiceFromEnv, byScale, SCALES } from "./notebook/params";
export type { Scale } from "./notebook/params";
export { cpuSnapshot, otherCores, ownCpuMs, observe } from "./measuring/cpu";
export type { CpuSnapshot, Observed } from "./measuring/cpu";
export { checkQuiet, quietVerdict, showQuiet, BUSY_OTHER_CORES, SPEED_DRIFT } from "./measuring/noise";
export type { QuietCheck } from "./measuring/noise";
export { efficiencyWord, describeSpeedup, describeAgainstSerial, relativeSpeed, shareOf, costWord, CLOSE_TO_IDEAL, GOOD_EFFICIENCY, MODEST_EFFICIENCY, ABOVE_IDEAL_MARGIN, SAME_TIME } from "./measuring/wording";
export { pythonOriginal, findPython, PythonUnavailableError, PythonFailedError } from "./notebook/python";
export type { PythonInfo, PythonMeasurements, PythonMeasurement, PythonRunOptions } from "./notebook/python";
export { rangeBars, timeline } from "./measuring/charts";
export type { RangeBar, RangeBarsOptions, Span } from "./measuring/charts";
export { transferableBuffers, isDetached } from "./transport/transfer";
export type { TransferOptions } from "./transport/transfer";
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
export { simulateQueue, largestFirst, loadBalance, balanceWord, describeBalance, EVEN_IMBALANCE, NEARLY_EVEN_IMBALANCE, UNEVEN_IMBALANCE } from "./notebook/scheduling";
export type { QueueSchedule, LoadBalance } from "./notebook/scheduling";
export { laneSummaries, idleAtEnd, traceLines } from "./measuring/spans";
export type { LaneSummary, IdleAtEnd } from "./measuring/spans";
export { seededRandom, evenlySpaced, nestedWorkload, workloadNumbers } from "./notebook/workload";
export type { NestedWorkloadOptions } from "./notebook/workload";
export { runQueueWorkers } from "./notebook/queue-workers";
export type { QueueWorkersOptions, QueueWorkersRun } from "./notebook/queue-workers";
export type { JobSum, WhenRan } from "./tasks/jobs";
export { lateTimer, LocalServer, describeStall, describeOverlap, WAITED_SHARE, OVERLAP_MARGIN } from "./notebook/event-loop";
export type { TimerDelay } from "./notebook/event-loop";
export { threadpoolSize, pbkdf2InFreshNode, DEFAULT_THREADPOOL_SIZE } from "./notebook/threadpool";
export type { Pbkdf2Options } from "./notebook/threadpool";
export { measureRawMoves, measurePoolMoves, movesFigure, moveSizes, formatBytes, makeFloat64Array, splitIntoSlices, RAW_MOVES } from "./notebook/data-moving";
export type { MoveTiming, MoveOptions, RawMove } from "./notebook/data-moving";
export { breakEven, breakEvenFigure, beyondIdeal } from "./notebook/break-even";
export type { WorkPoint, BreakEven } from "./notebook/break-even";
export { measureCpu, accountSpeedup, explainSpeedup, speedupBars, MIN_ACCOUNTED_MS } from "./measuring/speedup-report";
export { measureCpuInTurns } from "./measuring/in-turns";
export type { CpuTiming, CpuSamples, SpeedupAccount, SpeedupGroup } from "./measuring/speedup-report";
export { splitError, agreeingDigits } from "./notebook/precision";
export type { ErrorParts } from "./notebook/precision";
export { splitEvenly, managerCounterRace, sharedCounterRace, perSecond, raceRow } from "./notebook/counter-races";
export type { CounterRace, RaceOptions } from "./notebook/counter-races";
export { compareRuns, ratioRange } from "./notebook/run-comparison";
export type { NamedRuns } from "./notebook/run-comparison";
export { measureJobs, withPrivateHosts, jobInProgress, restartDuringJobs, redisRoundTripMs } from "./cluster/lessons";
export type { JobsMeasurement, PrivateHostsOptions, RestartOutcome } from "./cluster/lessons";
export { SERIAL, pointKey, logSpaced, gridPlan, heaviestPoint, runRounds, toRecords, findRecord } from "./measuring/benchmark";
export type { GridPoint, PlanOptions, RoundsOptions, PointSamples, RoundsResult, BenchRecord } from "./measuring/benchmark";
export { toCsv, saveRun, readSavedRuns } from "./measuring/benchmark-files";
export type { SavedRun, SavedFiles, FoundRun, SavedRuns } from "./measuring/benchmark-files";
export { assessNoise, clearlyFaster, compareRecords, crossover, logSlope, growthWords, breakEvenMs, coresForCounts, amdahlIfEnough, NOISY_SPREAD } from "./measuring/benchmark-findings";
export type { RunNoise, WeightVerdict, Crossover, ScalingPoint, ScalingFit } from "./measuring/benchmark-findings";
export { timeVsWeight, speedupHeatmap, scalingFigure, savedRunsFigure } from "./measuring/benchmark-charts";
export type { ScalingCurve } from "./measuring/benchmark-charts";
export { UnsafeAddressError } from "./primitives/manager";
export { JoinableQueue } from "./primitives/joinable-queue";
export { QueueFull, ExtraTaskDoneError } from "./primitives/queue-api";
export type { PutOptions, QueueOptions, QueueJoinOptions, JoinableQueueLike } from "./primitives/queue-api";
export type { ProcessJoinOptions } from "./primitives/process";
