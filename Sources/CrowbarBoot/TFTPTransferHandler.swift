import CrowbarCore
import NIOCore

/// Drives one TFTP read transfer on its own channel: performs the actions of a `TFTPReadTransfer`, reads blocks
/// straight from the file into packets, and re-arms the retransmission timer on every step.
final class TFTPTransferHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    enum Outcome: Sendable {
        case finished
        case abandoned(String)
    }

    private var transfer: TFTPReadTransfer
    private let file: TFTPFileRoot.OpenFile
    private let client: SocketAddress
    private let done: EventLoopPromise<Outcome>
    private var timer: Scheduled<Void>?
    private var completed = false
    /// The file's bytes from `readAheadOffset` on, read 64 KiB at a time: a lock-step transfer at blksize 512 made one
    /// `pread` per block, a quarter of its system calls.
    private var readAhead = ByteBuffer()
    private var readAheadOffset = 0
    private static let readAheadBytes = 64 * 1024

    init(file: TFTPFileRoot.OpenFile, transfer: TFTPReadTransfer, client: SocketAddress, done: EventLoopPromise<Outcome>) {
        self.file = file
        self.transfer = transfer
        self.client = client
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(transfer.start(), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == client else {
            guard envelope.remoteAddress.port != 0 else { return }
            send(.error(.unknownTransferID, message: "unknown transfer ID"), to: envelope.remoteAddress, context: context)
            context.flush()
            return
        }
        switch try? TFTPPacket.decode(Array(envelope.data.readableBytesView)) {
        case .acknowledgement(let block)?: perform(transfer.receiveAcknowledgement(block), context: context)
        case .error(let code, let message)?: complete(.abandoned("client sent error \(code.rawValue): \(message)"))
        default: break
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        complete(.abandoned("channel closed"))
    }

    private func perform(_ action: TFTPReadTransfer.Action, context: ChannelHandlerContext) {
        switch action {
        case .sendOptionAcknowledgement(let options):
            send(.optionAcknowledgement(options), to: client, context: context)
            context.flush()
            armTimer(context: context)
        case .sendBlocks(let blocks):
            for block in blocks {
                guard sendBlock(block, context: context) else {
                    send(.error(.notDefined, message: "read error"), to: client, context: context)
                    context.flush()
                    return complete(.abandoned("read error at block \(block)"))
                }
            }
            context.flush()
            armTimer(context: context)
        case .finished:
            complete(.finished)
        case .abandon(let reason):
            // A client that never answered gets nothing more: its address may not be the sender's.
            if transfer.heardFromClient {
                send(.error(.notDefined, message: reason), to: client, context: context)
                context.flush()
            }
            complete(.abandoned(reason))
        case .wait:
            break
        }
    }

    private func sendBlock(_ block: Int, context: ChannelHandlerContext) -> Bool {
        let range = transfer.byteRange(of: block)
        guard let bytes = fileBytes(range, allocator: context.channel.allocator) else { return false }
        var buffer = context.channel.allocator.buffer(capacity: 4 + range.count)
        buffer.writeInteger(UInt16(3))
        buffer.writeInteger(UInt16(truncatingIfNeeded: block))
        buffer.writeImmutableBuffer(bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: buffer)), promise: nil)
        return true
    }

    /// The file's bytes in `range`, from the read-ahead, refilled from `range` on when it does not hold them; nil on a
    /// read error or a file that shrank.
    private func fileBytes(_ range: Range<Int>, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let held = readAheadOffset..<(readAheadOffset + readAhead.readableBytes)
        if !(held.lowerBound <= range.lowerBound && range.upperBound <= held.upperBound) {
            let wanted = range.lowerBound..<min(range.lowerBound + max(Self.readAheadBytes, range.count), file.size)
            readAhead = allocator.buffer(capacity: wanted.count)
            var failed = false
            readAhead.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted.count) { pointer in
                let count = file.read(wanted, into: UnsafeMutableRawBufferPointer(rebasing: pointer.prefix(wanted.count)))
                failed = count < 0
                return max(count, 0)
            }
            readAheadOffset = range.lowerBound
            if failed || readAhead.readableBytes < range.count { return nil }
        }
        return readAhead.getSlice(at: readAhead.readerIndex + range.lowerBound - readAheadOffset, length: range.count)
    }

    private func send(_ packet: TFTPPacket, to address: SocketAddress, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: packet.encode()))), promise: nil)
    }

    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(Int64(transfer.currentTimeout))) {
            self.perform(self.transfer.timeout(), context: context)
        }
    }

    private func complete(_ outcome: Outcome) {
        timer?.cancel()
        guard !completed else { return }
        completed = true
        done.succeed(outcome)
    }
}
