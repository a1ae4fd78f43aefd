import CLibSSH2
import CrowbarCore
import Foundation

/// The blocking halves of `execute` and `upload`, run on the worker pool under the connection's lock: a command's
/// channel (stdin, stdout/stderr until EOF, exit status or signal) and an SFTP upload.
extension SSHConnection {
    func blockingExecute(
        _ command: String, stdin: [UInt8], timeout: Duration, cancellation: CancellationFlag,
        output: @Sendable (SSHOutput) -> Void
    ) throws(SSHError) -> SSHExit {
        let waiter = waiter(
            timeout: timeout, error: SSHError(.commandTimeout, "command on \(target) timed out after \(timeout)"),
            cancellation: cancellation)
        let opening = self.waiter(
            timeout: min(timeout, options.channelOpenTimeout),
            error: SSHError(.channelOpen, "\(target) opened no channel within \(min(timeout, options.channelOpenTimeout))"),
            cancellation: cancellation)
        guard let channel = try opening.pointer({
            libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
        }) else {
            throw SSHError(.channelOpen, "cannot open a channel to \(target): \(lastErrorMessage(session))")
        }
        defer { Self.release(channel, session: session) }
        let started = try waiter.status {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard started == 0 else { throw SSHError(.channel, "exec refused by \(target): \(lastErrorMessage(session))") }
        try write(stdin, to: channel, waiter: waiter)
        try readUntilEOF(channel, waiter: waiter, output: output)
        _ = try waiter.status { libssh2_channel_close(channel) }
        _ = try waiter.status { libssh2_channel_wait_closed(channel) }
        return SSHExit(status: libssh2_channel_get_exit_status(channel), signal: exitSignal(channel))
    }

    func write(_ bytes: [UInt8], to channel: OpaquePointer, waiter: SessionWaiter) throws(SSHError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                libssh2_channel_write_ex(channel, 0, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
            if written == Int(LIBSSH2_ERROR_EAGAIN) { try waiter.wait(); continue }
            guard written >= 0 else { throw SSHError(.channel, "writing stdin to \(target): \(lastErrorMessage(session))") }
            offset += written
        }
        let eof = try waiter.status { libssh2_channel_send_eof(channel) }
        guard eof == 0 else { throw SSHError(.channel, "closing stdin on \(target): \(lastErrorMessage(session))") }
    }

    func readUntilEOF(
        _ channel: OpaquePointer, waiter: SessionWaiter, output: @Sendable (SSHOutput) -> Void
    ) throws(SSHError) {
        var buffer = [CChar](repeating: 0, count: 32768)
        let streams: [(Int32, SSHOutput.Stream)] = [(0, .stdout), (SSH_EXTENDED_DATA_STDERR, .stderr)]
        while true {
            try waiter.check()
            var progressed = false
            for (streamID, stream) in streams {
                while true {
                    let count = libssh2_channel_read_ex(channel, streamID, &buffer, buffer.count)
                    if count > 0 {
                        output(SSHOutput(stream: stream, bytes: buffer[..<count].map { UInt8(bitPattern: $0) }))
                        progressed = true
                        continue
                    }
                    if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN) { break }
                    throw SSHError(.channel, "reading from \(target): \(lastErrorMessage(session))")
                }
            }
            if libssh2_channel_eof(channel) != 0 { return }
            if !progressed { try waiter.wait() }
        }
    }

    func exitSignal(_ channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var length = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil) == 0, let name else {
            return nil
        }
        defer { free(name) }
        return length > 0 ? String(cString: name) : nil
    }

    func blockingUpload(
        _ bytes: [UInt8], to path: String, mode: Int32, timeout: Duration, cancellation: CancellationFlag
    ) throws(SSHError) {
        let waiter = waiter(
            timeout: timeout, error: SSHError(.commandTimeout, "upload of \(path) to \(target) timed out"),
            cancellation: cancellation)
        guard let sftp = try waiter.pointer({ libssh2_sftp_init(session) }) else {
            throw SSHError(.transfer, "cannot start SFTP on \(target): \(lastErrorMessage(session))")
        }
        defer { _ = try? waiter.status { libssh2_sftp_shutdown(sftp) } }
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        guard let handle = try waiter.pointer({
            libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, Int(mode), LIBSSH2_SFTP_OPENFILE)
        }) else {
            throw SSHError(.transfer, "cannot open \(path) on \(target): SFTP status \(libssh2_sftp_last_error(sftp))")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                libssh2_sftp_write(handle, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
            if written == Int(LIBSSH2_ERROR_EAGAIN) { try waiter.wait(); continue }
            guard written >= 0 else {
                _ = libssh2_sftp_close_handle(handle)
                throw SSHError(.transfer, "writing \(path) on \(target): \(lastErrorMessage(session))")
            }
            offset += written
        }
        let closed = try waiter.status { libssh2_sftp_close_handle(handle) }
        guard closed == 0 else { throw SSHError(.transfer, "closing \(path) on \(target): \(lastErrorMessage(session))") }
    }
}
