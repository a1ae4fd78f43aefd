import CrowbarCore
import Foundation
import GRDB

/// A row of `bmcs`: one node's BMC settings as JSON, password included (crowbard keeps its data folder, and so the
/// database, to itself: mode 0700).
struct BMCRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "bmcs"
    var nodeName: String
    var settings: BMC
    var updatedAt: Date
}
