import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP request over URLSession whose reply is bounded: the transfer is cancelled once the
/// body passes `limit` bytes, so a server that ignores Range or streams without end cannot make
/// fit hold more than it asked for. Each chunk is kept with the time it arrived (seconds since the
/// request started), which is what a streamed chat reply is timed by.
public final class HTTPFetch: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    public struct TooLarge: Error, Sendable { public var limit: Int }

    public struct Reply: Sendable {
        public var status: Int
        public var chunks: [(seconds: Double, bytes: [UInt8])]
        public var body: Data { Data(chunks.flatMap(\.bytes)) }
    }

    let limit: Int
    private var chunks: [(seconds: Double, bytes: [UInt8])] = []
    private var total = 0
    private var status = 0
    private var tooLarge = false
    private var expired = false
    private var task: URLSessionDataTask?
    private var done: CheckedContinuation<Reply, Error>?
    private var start = ContinuousClock.now
    private let lock = NSLock()

    public init(limit: Int) { self.limit = limit }

    /// `request.timeoutInterval` bounds each wait for bytes; `resourceTimeout` the whole transfer
    /// (enforced here: swift-corelibs-foundation does not end a transfer that trickles a byte at a
    /// time at `timeoutIntervalForResource`). A transfer past it fails with `URLError(.timedOut)`.
    public func run(_ request: URLRequest, resourceTimeout: TimeInterval) async throws -> Reply {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = request.timeoutInterval
        config.timeoutIntervalForResource = resourceTimeout
        let session = URLSession(configuration: config, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let deadline = Task { [weak self] in
            try await Task.sleep(for: .milliseconds(Int64(resourceTimeout * 1000)))
            self?.expire()
        }
        defer { deadline.cancel() }
        return try await withCheckedThrowingContinuation { c in
            let t = session.dataTask(with: request)
            lock.lock()
            done = c
            task = t
            start = ContinuousClock.now
            lock.unlock()
            t.resume()
        }
    }

    private func expire() {
        lock.lock()
        let t = done == nil ? nil : task
        if t != nil { expired = true }
        lock.unlock()
        t?.cancel()
    }

    public func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        lock.lock()
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        lock.unlock()
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let d = ContinuousClock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        lock.lock()
        total += data.count
        let over = total > limit
        if over { tooLarge = true } else { chunks.append((seconds, [UInt8](data))) }
        lock.unlock()
        if over { dataTask.cancel() }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let c = done
        done = nil
        let reply = Reply(status: status, chunks: chunks)
        let large = tooLarge
        let late = expired
        chunks = []
        self.task = nil
        lock.unlock()
        if large {
            c?.resume(throwing: TooLarge(limit: limit))
        } else if late {
            c?.resume(throwing: URLError(.timedOut))
        } else if let error {
            c?.resume(throwing: error)
        } else {
            c?.resume(returning: reply)
        }
    }
}
