import Foundation
import Hummingbird

/// The request context of the Crowbar API: the stable JSON coders.
public struct CrowbarRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) { coreContext = .init(source: source) }

    public var requestDecoder: JSONDecoder { .crowbar }
    public var responseEncoder: JSONEncoder { .crowbar }
    public var maxUploadSize: Int { 8 * 1024 * 1024 }
}
