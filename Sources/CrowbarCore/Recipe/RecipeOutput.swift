/// How one resource ended on one node.
public enum ResourceStatus: String, Sendable, Hashable, Codable {
    case ok, changed, failed
}

/// One resource's result on one node, with what it printed (the tail, at most `RecipeOutput.outputLimit`).
public struct ResourceResult: Sendable, Hashable, Codable {
    /// Position in the recipe, from 1.
    public var index: Int
    public var resource: String
    public var status: ResourceStatus
    public var output: String
    /// How long it took on the node, to the hundredth of a second (nil where the node's clock could not be read).
    public var seconds: Double?

    public init(index: Int, resource: String, status: ResourceStatus, output: String, seconds: Double? = nil) {
        self.index = index
        self.resource = resource
        self.status = status
        self.output = output
        self.seconds = seconds
    }
}

/// Something the orchestrator learns from a running script's output.
public enum RecipeOutputEvent: Sendable, Hashable {
    /// A line printed by resource `resource` (nil: outside any resource).
    case line(resource: Int?, text: String)
    case finished(ResourceResult)
}

/// Reads a compiled recipe's standard output as it streams in: splits lines, follows the
/// `\036crowbar begin|end|done` markers and collects each resource's output and status.
public struct RecipeOutput: Sendable {
    public static let outputLimit = 16 * 1024
    private let labels: [String]
    /// `\u{1E}` and the compiled recipe's marker word, then a space.
    private let prefix: String
    private let scrub: @Sendable (String) -> String
    private var pending: [UInt8] = []
    private var current: Int?
    private var currentOutput = ""
    public private(set) var results: [ResourceResult] = []
    /// True once the script reached its end marker: every resource ran.
    public private(set) var completed = false

    /// `scrub` rewrites every output line before it is kept or reported (crowbard masks secrets with it).
    public init(labels: [String], marker: String = "crowbar", scrub: @escaping @Sendable (String) -> String = { $0 }) {
        self.labels = labels
        prefix = "\u{1E}\(marker) "
        self.scrub = scrub
    }

    /// Feeds bytes; returns the events of every complete line.
    public mutating func consume(_ bytes: [UInt8]) -> [RecipeOutputEvent] {
        pending += bytes
        var events: [RecipeOutputEvent] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            events += handle(line)
        }
        return events
    }

    /// Flushes a last unterminated line.
    public mutating func finish() -> [RecipeOutputEvent] {
        guard !pending.isEmpty else { return [] }
        let line = String(decoding: pending, as: UTF8.self)
        pending = []
        return handle(line)
    }

    /// The output of a resource that began but never ended (the connection dropped or timed out).
    public var unfinished: (index: Int, output: String)? { current.map { ($0, currentOutput) } }

    private mutating func handle(_ line: String) -> [RecipeOutputEvent] {
        // Output without a final newline shares its line with the marker that follows it.
        if let marker = line.range(of: prefix), marker.lowerBound != line.startIndex {
            return handle(String(line[..<marker.lowerBound])) + handle(String(line[marker.lowerBound...]))
        }
        guard line.hasPrefix(prefix) else {
            let line = scrub(line)
            if current != nil {
                currentOutput += line + "\n"
                if currentOutput.utf8.count > Self.outputLimit {
                    currentOutput = "…" + String(currentOutput.suffix(Self.outputLimit / 2))
                }
            }
            return [.line(resource: current, text: line)]
        }
        let words = line.dropFirst(prefix.count).split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("begin", 2):
            current = Int(words[1])
            currentOutput = ""
        case ("end", 3), ("end", 4):
            guard let index = Int(words[1]), let status = ResourceStatus(rawValue: words[2]) else { return [] }
            let label = labels.indices.contains(index - 1) ? labels[index - 1] : "resource \(index)"
            let hundredths = words.count == 4 ? Int(words[3]).flatMap { $0 >= 0 ? $0 : nil } : nil
            let result = ResourceResult(
                index: index, resource: label, status: status, output: currentOutput, seconds: hundredths.map { Double($0) / 100 })
            results.append(result)
            current = nil
            currentOutput = ""
            return [.finished(result)]
        case ("done", 1):
            completed = true
        default:
            break
        }
        return []
    }
}
