import CrowbarControl
import CrowbarCore
import Foundation
import Testing

/// The power routes' HTTP shapes: masking, validation, the status of each kind of BMC failure. The BMC is scripted
/// here (each address names the failure it answers with); the drivers' real peers are in CrowbarPowerTests and the lab.
@Suite struct PowerRoutesTests {
    /// A BMC whose address says how it answers: `fails-auth-refused` throws `bmc_auth_refused` (the kind's code with
    /// dashes, a valid host name), anything else is a powered machine.
    struct ScriptedDrivers: PowerDrivers {
        struct Driver: PowerDriver {
            let bmc: BMC
            func check() throws {
                guard bmc.address.hasPrefix("fails-"),
                      let kind = PowerFailure.Kind(rawValue: "bmc_" + bmc.address.dropFirst(6).replacingOccurrences(of: "-", with: "_"))
                else { return }
                throw PowerFailure(kind, "scripted \(kind.rawValue)")
            }
            func state() async throws -> PowerState { try check(); return .on }
            func perform(_ change: PowerChange) async throws { try check() }
            func setBootDevice(_ device: BootDevice, persistent: Bool) async throws { try check() }
        }
        func driver(for bmc: BMC) -> any PowerDriver { Driver(bmc: bmc) }
        var deadline: Duration { .seconds(5) }
    }

    /// The address of a scripted BMC that fails with `kind`.
    static func failing(_ kind: PowerFailure.Kind) -> String { "fails-" + kind.rawValue.dropFirst(4).replacingOccurrences(of: "_", with: "-") }

    static func bmcBody(address: String, password: String = "pw-1234") -> String {
        #"{"driver": "ipmi", "address": "\#(address)", "username": "admin", "password": "\#(password)"}"#
    }

    @Test func bmcSettingsAreMaskedUnlessAskedAndValidated() async throws {
        try await APIHarness(powerDrivers: ScriptedDrivers()).run { api in
            let node = try await api.discover("52:54:00:00:00:01")
            #expect(try await api.call(.get, "nodes/\(node)/bmc").status == 404)
            let set = try await api.call(.put, "nodes/\(node)/bmc", Self.bmcBody(address: "192.0.2.10"), actor: "alice@admin")
            #expect(set.status == 200)
            #expect(set.json["password"] as? String == "********")
            #expect(try await api.call(.get, "nodes/\(node)/bmc").json["password"] as? String == "********")
            #expect(try await api.call(.get, "nodes/\(node)/bmc?secrets=true").json["password"] as? String == "pw-1234")
            let masked = try await api.call(.put, "nodes/\(node)/bmc", Self.bmcBody(address: "192.0.2.10", password: "********"))
            #expect(masked.status == 422)
            #expect(masked.json["field"] as? String == "password")
            let redfish = try await api.call(.put, "nodes/\(node)/bmc", #"{"driver": "redfish", "address": "192.0.2.10", "username": "a", "password": "b"}"#)
            #expect(redfish.status == 422)
            #expect(redfish.json["field"] as? String == "certificateFingerprint")
            let events = try await api.call(.get, "events?subject=\(node)").list.compactMap { $0["message"] as? String }
            #expect(events.contains("BMC set by alice@admin (API): ipmi 192.0.2.10 as admin"))
            #expect(!events.joined().contains("pw-1234"))
            #expect(try await api.call(.delete, "nodes/\(node)/bmc").status == 204)
            #expect(try await api.call(.get, "nodes/\(node)/bmc").status == 404)
        }
    }

    @Test func eachKindOfBMCFailureHasItsStatusAndCode() async throws {
        try await APIHarness(powerDrivers: ScriptedDrivers()).run { api in
            let node = try await api.discover("52:54:00:00:00:02")
            let missing = try await api.call(.post, "nodes/\(node)/power", #"{"action": "on"}"#)
            #expect(missing.status == 409)
            #expect(missing.json["error"] as? String == "bmc_missing")
            let expected: [PowerFailure.Kind: Int] = [.unreachable: 502, .authRefused: 502, .failed: 502, .timeout: 504]
            for (kind, status) in expected {
                #expect(try await api.call(.put, "nodes/\(node)/bmc", Self.bmcBody(address: Self.failing(kind))).status == 200)
                let answer = try await api.call(.post, "nodes/\(node)/power", #"{"action": "cycle"}"#)
                #expect(answer.status == status, "\(kind)")
                #expect(answer.json["error"] as? String == kind.rawValue)
                #expect(answer.json["detail"] as? String == "scripted \(kind.rawValue)")
            }
            #expect(try await api.call(.put, "nodes/\(node)/bmc", Self.bmcBody(address: "192.0.2.11")).status == 200)
            let done = try await api.call(.post, "nodes/\(node)/power", #"{"action": "on", "bootDevice": "pxe"}"#, actor: "bob")
            #expect(done.status == 200)
            #expect(done.json["state"] as? String == "on")
            let bad = try await api.call(.post, "nodes/\(node)/power", #"{"action": "explode"}"#)
            #expect(bad.status == 400)
            #expect(bad.json["field"] as? String == "action")
            let events = try await api.call(.get, "events?subject=\(node)").list.compactMap { $0["message"] as? String }
            #expect(events.last == "power on by bob (API): done, power on")
        }
    }

    @Test func aSweepAnswersEveryNodeEvenWhenSomeFail() async throws {
        try await APIHarness(powerDrivers: ScriptedDrivers()).run { api in
            let first = try await api.discover("52:54:00:00:00:03")
            let second = try await api.discover("52:54:00:00:00:04")
            _ = try await api.discover("52:54:00:00:00:05")
            #expect(try await api.call(.put, "nodes/\(first)/bmc", Self.bmcBody(address: "192.0.2.12")).status == 200)
            #expect(try await api.call(.put, "nodes/\(second)/bmc", Self.bmcBody(address: Self.failing(.timeout))).status == 200)
            let all = try await api.call(.post, "power", #"{"action": "off"}"#)
            #expect(all.status == 200)
            #expect(all.list.map { $0["node"] as? String } == [first, second], "all: the nodes with a BMC")
            #expect(all.list.map { ($0["failure"] as? [String: Any])?["kind"] as? String } == [nil, "bmc_timeout"])
            #expect(try await api.call(.post, "power", #"{"action": "off", "nodes": ["ghost"]}"#).status == 404)
            #expect(try await api.call(.post, "power", #"{"action": "off", "concurrency": 0}"#).status == 422)
        }
    }
}
