import NIOPosix

/// The threads libssh2 runs on. libssh2 is blocking C; running it here keeps it off both the NIO event
/// loops and Swift's cooperative pool. The thread count bounds how many SSH operations run at once;
/// further operations queue. Sockets are non-blocking and every wait is a bounded `poll`, so a thread
/// is never stuck longer than the operation's own timeout.
public final class SSHWorkerPool: Sendable {
    private let threads: NIOThreadPool

    /// Starts `threadCount` threads.
    public init(threadCount: Int) {
        threads = NIOThreadPool(numberOfThreads: max(1, threadCount))
        threads.start()
    }

    /// Runs blocking work on one of the pool's threads. The work's own `SSHError` passes through; the pool
    /// refusing the work (it is shut down) is a `.channel` error.
    func run<Result: Sendable>(_ work: @Sendable @escaping () throws -> Result) async throws(SSHError) -> Result {
        do {
            return try await threads.runIfActive(work)
        } catch let error as SSHError {
            throw error
        } catch {
            throw SSHError(.channel, "SSH worker pool is shut down")
        }
    }

    /// Stops the threads after the queued work.
    public func shutdown() async {
        try? await threads.shutdownGracefully()
    }
}
