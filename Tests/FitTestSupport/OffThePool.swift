import Foundation

/// Runs long synchronous work on a thread of its own and awaits it. A test that computes for
/// seconds on the cooperative pool (two threads on a 2-core CI machine) would stall every other
/// test, the child-process tests among them; here it only takes a core.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { done in
        let thread = Thread {
            do { done.resume(returning: try work()) } catch { done.resume(throwing: error) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
