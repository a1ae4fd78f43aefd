extension RunStep {
    /// The step's node results in one line: each node ("n1 ok 3 changed, n2 FAILED 0 changed") when there are at most
    /// `listed`; beyond that the counts, naming only the failed nodes (the first `listed` of them), so that a rack's
    /// step stays readable.
    public func nodeSummary(listed: Int = 8) -> String {
        if results.count <= listed {
            return results.map { "\($0.node) \($0.succeeded ? "ok" : "FAILED") \($0.changedCount) changed" }.joined(separator: ", ")
        }
        let failed = results.filter { !$0.succeeded }.map(\.node)
        var text = "\(results.count) nodes, \(results.count - failed.count) ok, \(changedCount) changed"
        if !failed.isEmpty {
            let more = failed.count > listed ? " and \(failed.count - listed) more" : ""
            text += ", \(failed.count) FAILED: " + failed.prefix(listed).joined(separator: ", ") + more
        }
        return text
    }

    /// The resource that took longest on any node, when it took at least `atLeast` seconds: where a step's time went.
    public func slowestResource(atLeast: Double = 1) -> (node: String, resource: ResourceResult)? {
        let timed = results.flatMap { result in result.resources.map { (node: result.node, resource: $0) } }
        guard let slowest = timed.max(by: { ($0.resource.seconds ?? 0) < ($1.resource.seconds ?? 0) }),
            let seconds = slowest.resource.seconds, seconds >= atLeast
        else { return nil }
        return slowest
    }
}
