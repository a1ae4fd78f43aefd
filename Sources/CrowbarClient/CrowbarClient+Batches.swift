import CrowbarCore

extension CrowbarClient {
    /// `POST /batches`: submits a batch file; crowbard applies it in the background.
    public func submitBatch(_ submission: BatchSubmission) async throws -> Batch {
        try await send(.POST, Endpoint("batches"), body: submission)
    }

    /// `POST /batches/preview`: what submitting the file would do, proposal by proposal; changes nothing.
    public func previewBatch(_ submission: BatchSubmission) async throws -> BatchPreview {
        try await send(.POST, Endpoint("batches", "preview"), body: submission)
    }

    /// `GET /batches`: the newest first.
    public func batches(limit: Int = 50) async throws -> [Batch] {
        try await send(.GET, Endpoint("batches", query: [("limit", String(limit))]))
    }

    /// `GET /batches/{id}`.
    public func batch(_ id: Int64) async throws -> Batch { try await send(.GET, Endpoint("batches", String(id))) }
}
