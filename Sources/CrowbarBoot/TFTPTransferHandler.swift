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
        var buffer = context.channel.allocator.buffer(capacity: 4 + range.count)
        buffer.writeInteger(UInt16(3))
        buffer.writeInteger(UInt16(truncatingIfNeeded: block))
        if !range.isEmpty {
            var failed = false
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: range.count) { pointer in
                let count = file.read(range, into: pointer)
                failed = count != range.count
                return max(count, 0)
            }
            if failed { return false }
        }
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: buffer)), promise: nil)
        return true
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
