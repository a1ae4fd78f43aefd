import CrowbarCore
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs one TFTP read transfer on a thread of its own with blocking system calls, as tftpd-hpa runs one per process:
/// a lock-step transfer is a round trip per block, and a blocking `recvfrom` then `sendto` are two system calls where
/// an event loop makes three (`epoll_wait`, `recvmsg`, `sendmsg`) and runs its pipeline. Performs the actions of a
/// `TFTPReadTransfer`, sending blocks from a 64 KiB read-ahead of the file.
final class TFTPTransferThread: Sendable {
    enum Outcome: Sendable {
        case finished
        case abandoned(String)
    }

    /// How long a receive waits before the thread looks at its stop flag and its retransmission deadline.
    static let waitSlice = Duration.milliseconds(200)
    private static let readAheadBytes = 64 * 1024

    private let file: TFTPFileRoot.OpenFile
    private let transfer: TFTPReadTransfer
    private let client: SocketAddress
    private let local: SocketAddress
    private let stopped = Atomic<Bool>(false)

    /// A transfer of `file` to `client` from an ephemeral port of `local`'s address.
    init(file: TFTPFileRoot.OpenFile, transfer: TFTPReadTransfer, client: SocketAddress, local: SocketAddress) {
        self.file = file
        self.transfer = transfer
        self.client = client
        self.local = local
    }

    /// Runs the transfer to its end on a new thread; cancelling the task stops it within ``waitSlice``.
    func run() async throws(UDPSocket.SetupError) -> Outcome {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Outcome, UDPSocket.SetupError>, Never>) in
                let failure = Self.startThread { continuation.resume(returning: self.runBlocking()) }
                if let failure { continuation.resume(returning: .failure(UDPSocket.SetupError(description: "no thread: \(failure)"))) }
            }
        } onCancel: {
            stopped.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    /// Runs `body` on a new detached thread with a 512 KiB stack; the reason when the system cannot make one (a task
    /// limit, memory), and then `body` never runs.
    private static func startThread(_ body: @escaping @Sendable () -> Void) -> String? {
        final class Body {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let argument = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, argument)
        guard result != 0 else { return nil }
        Unmanaged<Body>.fromOpaque(argument).release()
        return String(cString: strerror(result))
    }

    private func runBlocking() -> Result<Outcome, UDPSocket.SetupError> {
        do {
            let socket = try TFTPTransferSocket(local: local, waitSlice: Self.waitSlice)
            var session = Session(file: file, transfer: transfer, client: .init(client), socket: socket)
            return .success(session.run(until: stopped))
        } catch {
            return .failure(error)
        }
    }

    /// The transfer's state on its thread.
    private struct Session: ~Copyable {
        let file: TFTPFileRoot.OpenFile
        var transfer: TFTPReadTransfer
        let client: TFTPTransferSocket.Source
        let socket: TFTPTransferSocket
        /// When the next retransmission is due; every transfer starts by sending, which sets it.
        var deadline = ContinuousClock.now
        /// The file's bytes from `readAheadOffset` on: one `pread` per 64 KiB instead of one per block.
        var readAhead: [UInt8] = []
        var readAheadOffset = 0
        var packet: [UInt8]

        init(file: TFTPFileRoot.OpenFile, transfer: TFTPReadTransfer, client: TFTPTransferSocket.Source, socket: consuming TFTPTransferSocket) {
            self.file = file
            self.transfer = transfer
            self.client = client
            self.socket = socket
            packet = [UInt8](repeating: 0, count: 4 + transfer.options.blockSize)
        }

        mutating func run(until stopped: borrowing Atomic<Bool>) -> Outcome {
            var received = [UInt8](repeating: 0, count: 65_536)
            if let outcome = perform(transfer.start()) { return outcome }
            while !stopped.load(ordering: .relaxed) {
                let datagram = received.withUnsafeMutableBytes { socket.receive(into: $0) }
                if let datagram, let outcome = handle(Array(received[..<datagram.count]), from: datagram.source) { return outcome }
                if ContinuousClock.now >= deadline, let outcome = perform(transfer.timeout()) { return outcome }
            }
            return .abandoned("stopped")
        }

        private mutating func handle(_ bytes: [UInt8], from source: TFTPTransferSocket.Source) -> Outcome? {
            guard source.isSame(as: client) else {
                if source.port != 0 { send(.error(.unknownTransferID, message: "unknown transfer ID"), to: source) }
                return nil
            }
            switch try? TFTPPacket.decode(bytes) {
            case .acknowledgement(let block)?: return perform(transfer.receiveAcknowledgement(block))
            case .error(let code, let message)?: return .abandoned("client sent error \(code.rawValue): \(message)")
            default: return nil
            }
        }

        /// Does what the transfer asks; the outcome once it has ended.
        private mutating func perform(_ action: TFTPReadTransfer.Action) -> Outcome? {
            switch action {
            case .sendOptionAcknowledgement(let options):
                send(.optionAcknowledgement(options), to: client)
            case .sendBlocks(let blocks):
                for block in blocks {
                    guard sendBlock(block) else {
                        send(.error(.notDefined, message: "read error"), to: client)
                        return .abandoned("read error at block \(block)")
                    }
                }
            case .finished:
                return .finished
            case .abandon(let reason):
                // A client that never answered gets nothing more: its address may not be the sender's.
                if transfer.heardFromClient { send(.error(.notDefined, message: reason), to: client) }
                return .abandoned(reason)
            case .wait:
                return nil
            }
            deadline = ContinuousClock.now + .seconds(transfer.currentTimeout)
            return nil
        }

        private mutating func sendBlock(_ block: Int) -> Bool {
            let range = transfer.byteRange(of: block)
            guard fill(range) else { return false }
            let start = range.lowerBound - readAheadOffset
            packet[0] = 0
            packet[1] = 3
            packet[2] = UInt8(truncatingIfNeeded: block >> 8)
            packet[3] = UInt8(truncatingIfNeeded: block)
            packet.withUnsafeMutableBytes { datagram in
                readAhead.withUnsafeBytes { held in
                    datagram.baseAddress!.advanced(by: 4).copyMemory(from: held.baseAddress!.advanced(by: start), byteCount: range.count)
                }
                socket.send(UnsafeRawBufferPointer(rebasing: datagram[..<(4 + range.count)]), to: client)
            }
            return true
        }

        /// Makes the read-ahead hold `range`, reading from its start on when it does not; false on a read error or a
        /// file that shrank.
        private mutating func fill(_ range: Range<Int>) -> Bool {
            if readAheadOffset <= range.lowerBound, range.upperBound <= readAheadOffset + readAhead.count { return true }
            let wanted = range.lowerBound..<min(range.lowerBound + max(TFTPTransferThread.readAheadBytes, range.count), file.size)
            if readAhead.count < wanted.count { readAhead = [UInt8](repeating: 0, count: wanted.count) }
            let count = readAhead.withUnsafeMutableBytes { file.read(wanted, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<wanted.count])) }
            readAheadOffset = range.lowerBound
            guard count >= range.count else {
                readAhead = []
                return false
            }
            readAhead.removeSubrange(count...)
            return true
        }

        private func send(_ packet: TFTPPacket, to destination: TFTPTransferSocket.Source) {
            packet.encode().withUnsafeBytes { socket.send($0, to: destination) }
        }
    }
}
