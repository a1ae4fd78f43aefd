import CrowbarCore
import Foundation
import GRDB

/// A row of `bmcs`: one node's BMC settings as JSON, password included (the database file is readable by crowbard
/// alone).
struct BMCRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "bmcs"
    var nodeName: String
    var settings: BMC
    var updatedAt: Date
}
