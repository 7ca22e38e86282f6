import Foundation
import Testing

/// A test trait that runs a suite's tests on threads of their own instead of Swift's cooperative
/// pool.
///
/// Swift Testing runs every test as a task on the cooperative pool, which has one thread per core:
/// two on a 2-core CI machine. A test that computes for a second (a catalog load, a
/// cross-validation) holds one of them, and a few such tests stall every other test, the ones
/// waiting for a child process among them. With this trait a test still runs as the same task (its
/// expectations are recorded as usual), but its code runs on one of four threads kept for such
/// work, which the kernel time-slices with everything else. Four, not one per test: all of a
/// suite's tests start at once, and each holds a catalog in memory while it runs.
///
///     @Suite("...", .onWorkerThreads) struct ThroughputTests { ... }
public struct WorkerThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Each test case gets the scope; a suite itself does not (its tests do).
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(WorkerThreads.shared) { try await function() }
    }
}

extension Trait where Self == WorkerThreadsTrait {
    /// Runs each test on a thread kept for long work, off the cooperative pool.
    public static var onWorkerThreads: Self { WorkerThreadsTrait() }
}

/// A task executor backed by a few dedicated threads: jobs run in the order they arrive, on
/// whichever thread is free. A task has one job at a time, so its code never runs on two at once.
public final class WorkerThreads: TaskExecutor, @unchecked Sendable {
    public static let shared = WorkerThreads(count: 4)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    public init(count: Int) {
        for i in 0..<count {
            let thread = Thread { [self] in loop() }
            thread.stackSize = 8 << 20
            thread.name = "fit-test-\(i)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next > 1024 {  // drop what has run, now and then, not on every job
                jobs.removeFirst(next)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
