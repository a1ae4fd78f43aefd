import CrowbarAPI
import CrowbarCore
import Foundation
import Hummingbird
import Testing

@Suite struct APITests {
    @Test func healthIsOpenAndEverythingElseNeedsTheToken() async throws {
        try await APIHarness().run { api in
            #expect(try await api.call(.get, "health", token: nil).status == 200)
            let missing = try await api.call(.get, "nodes", token: nil)
            #expect(missing.status == 401)
            #expect(missing.json["error"] as? String == "unauthorized")
            #expect(try await api.call(.get, "nodes", token: "wrong-token").status == 401)
            #expect(try await api.call(.get, "nodes").status == 200)
        }
    }

    @Test func healthListsEachComponentAndIs503WhenOneIsDown() async throws {
        let harness = try APIHarness()
        try await harness.run { api in
            let healthy = try await api.call(.get, "health", token: nil)
            #expect(healthy.status == 200 && healthy.json["status"] as? String == "ok", "\(healthy.body)")
            let components = try #require(healthy.json["components"] as? [[String: Any]])
            #expect(components.contains { $0["name"] as? String == "database" && $0["healthy"] as? Bool == true }, "\(healthy.body)")

            harness.control.health.states.set("orchestrator", healthy: true, "running")
            harness.control.health.states.set("dhcp", healthy: false, "waiting for 192.168.124.10 on an interface")
            let degraded = try await api.call(.get, "health", token: nil)
            #expect(degraded.status == 503 && degraded.json["status"] as? String == "degraded", "\(degraded.body)")
            let down = (degraded.json["components"] as? [[String: Any]])?.filter { $0["healthy"] as? Bool == false }.compactMap { $0["name"] as? String }
            #expect(down == ["dhcp"], "\(degraded.body)")

            harness.control.health.states.set("dhcp", healthy: true, "serving on 192.168.124.10")
            #expect(try await api.call(.get, "health", token: nil).status == 200)
        }
    }

    @Test func unknownThingsAre404WithJSON() async throws {
        try await APIHarness().run { api in
            for path in ["barclamps/swift", "nodes/ghost", "proposals/keystone/nope", "proposals/swift/default", "proposals/keystone/nope/revisions/1"] {
                let answer = try await api.call(.get, path)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.json["error"] as? String == "not_found", "\(path): \(answer.body)")
                #expect((answer.json["detail"] as? String)?.isEmpty == false)
            }
            #expect(try await api.call(.get, "no/such/route").status == 404)
        }
    }

    @Test func malformedBodiesAre400NamingTheField() async throws {
        try await APIHarness().run { api in
            let broken = try await api.call(.post, "proposals/keystone", "{not json")
            #expect(broken.status == 400)
            #expect(broken.json["error"] as? String == "bad_request")
            let wrongType = try await api.call(.post, "proposals/keystone", #"{"name": 5}"#)
            #expect(wrongType.status == 400)
            #expect(wrongType.json["field"] as? String == "name")
            let missing = try await api.call(.post, "nodes/discover", #"{"macs": ["52:54:00:00:00:01"]}"#)
            #expect(missing.status == 400)
            #expect(missing.json["field"] as? String == "inventory")
            let huge = try await api.call(.post, "proposals/keystone", String(repeating: " ", count: 9 * 1024 * 1024) + "{}")
            #expect(huge.status == 413)
            #expect(huge.json["error"] as? String == "too_large")
            #expect(try await api.call(.get, "events?limit=abc").status == 400)
            #expect(try await api.call(.get, "events?limit=0").status == 400)
            #expect(try await api.call(.post, "nodes/discover", #"{"macs": ["zz"], "inventory": {"disks": []}}"#).status == 422)
            let badAddress = try await api.call(
                .post, "nodes/discover", #"{"macs": ["52:54:00:00:00:0a"], "address": "10.0.0.5/24", "inventory": {"disks": []}}"#)
            #expect(badAddress.status == 422, "an address the node could never be reached at is refused, not stored")
            #expect(badAddress.json["field"] as? String == "address")
        }
    }

    @Test func proposalLifecycleOverHTTP() async throws {
        try await APIHarness().run { api in
            let node = try await api.discover("52:54:00:00:00:01")
            #expect(node == "d52-54-00-00-00-01")
            #expect(try await api.call(.post, "proposals/provisioner", #"{"name": "default"}"#).status == 201)
            #expect(try await api.call(.post, "proposals/provisioner", #"{"name": "default"}"#).status == 409)
            #expect(try await api.call(.post, "proposals/provisioner", #"{"name": "Bad Name"}"#).status == 422)

            let tooFew = try await api.call(.post, "proposals/provisioner/default/commit")
            #expect(tooFew.status == 422)
            #expect(tooFew.json["error"] as? String == "validation_failed")
            #expect(tooFew.json["field"] as? String == "deployment.provisioner-server")

            let assigned = try await api.call(.put, "proposals/provisioner/default/deployment/provisioner-server", #"{"nodes": ["\#(node)"]}"#)
            #expect(assigned.status == 200)
            #expect(try await api.call(.put, "proposals/provisioner/default/deployment/no-role", #"{"nodes": []}"#).status == 422)
            let ghost = try await api.call(.put, "proposals/provisioner/default/deployment/provisioner-base", #"{"nodes": ["ghost"]}"#)
            #expect(ghost.status == 422, "an unknown node is refused at once, not at commit")
            #expect(ghost.json["field"] as? String == "deployment.provisioner-base")
            #expect(ghost.body.contains("no node named 'ghost'"))

            let plan = try await api.call(.get, "proposals/provisioner/default/plan")
            #expect(plan.status == 200)
            #expect(plan.body.contains("provisioner-server"))

            let committed = try await api.call(.post, "proposals/provisioner/default/commit")
            #expect(committed.status == 200, "\(committed.body)")
            #expect((committed.json["revision"] as? [String: Any])?["revision"] as? Int == 1)
            #expect(committed.json["run"] == nil, "without an orchestrator a commit is recorded, not applied")

            let badEdit = try await api.call(.patch, "proposals/provisioner/default", #"{"edits": [{"path": "dhcp_lease_time", "text": "long"}]}"#)
            #expect(badEdit.status == 422)
            #expect(badEdit.json["field"] as? String == "dhcp_lease_time")
            let unknownAttribute = try await api.call(.patch, "proposals/provisioner/default", #"{"edits": [{"path": "nope", "text": "1"}]}"#)
            #expect(unknownAttribute.status == 422)
            #expect(unknownAttribute.json["field"] as? String == "nope")
            let edited = try await api.call(.patch, "proposals/provisioner/default", #"{"edits": [{"path": "timezone", "text": "Europe/Berlin"}]}"#)
            #expect(edited.status == 200, "\(edited.body)")
            #expect(edited.json["hasPendingChanges"] as? Bool == true)

            let diff = try await api.call(.get, "proposals/provisioner/default/diff")
            #expect(diff.list.map { $0["path"] as? String } == ["attributes.timezone"])
            let second = try await api.call(.post, "proposals/provisioner/default/commit")
            #expect((second.json["revision"] as? [String: Any])?["revision"] as? Int == 2)
            let history = try await api.call(.get, "proposals/provisioner/default/diff?from=1&to=2")
            #expect(history.list.first?["new"] as? String == "Europe/Berlin")
            #expect(try await api.call(.get, "proposals/provisioner/default/revisions").list.count == 2)

            let wholePlan = try await api.call(.get, "plan")
            #expect((wholePlan.json["steps"] as? [[String: Any]])?.first?["barclamp"] as? String == "provisioner")

            #expect(try await api.call(.delete, "proposals/provisioner/default").status == 409)
            #expect(try await api.call(.post, "proposals/provisioner/default/deactivate").status == 200)
            #expect(try await api.call(.delete, "proposals/provisioner/default").status == 204)
            #expect(try await api.call(.get, "proposals/provisioner/default").status == 404)
        }
    }

    /// Two operators on one proposal: the second change made from an old read is refused (412) and changes nothing.
    @Test func changesFromAnOldReadAreRefusedWithIfMatch() async throws {
        try await APIHarness().run { api in
            let created = try await api.call(.post, "proposals/provisioner", #"{"name": "default"}"#)
            #expect(created.json["version"] as? Int == 1)
            let read = try await api.call(.get, "proposals/provisioner/default")
            #expect(read.etag == #""1""#)
            let first = try await api.call(
                .patch, "proposals/provisioner/default", #"{"edits": [{"path": "dhcp_lease_time", "text": "120"}]}"#, ifMatch: #""1""#)
            #expect(first.status == 200 && first.etag == #""2""#, "\(first.body)")
            let second = try await api.call(
                .patch, "proposals/provisioner/default", #"{"edits": [{"path": "dhcp_lease_time", "text": "300"}]}"#, ifMatch: #""1""#)
            #expect(second.status == 412, "\(second.body)")
            #expect(second.json["error"] as? String == "precondition_failed")
            #expect((second.json["detail"] as? String)?.contains("changed since it was read (version 1, now 2)") == true)
            let assign = try await api.call(.put, "proposals/provisioner/default/deployment/provisioner-server", #"{"nodes": []}"#, ifMatch: #"W/"1""#)
            #expect(assign.status == 412)
            let commit = try await api.call(.post, "proposals/provisioner/default/commit?apply=false", ifMatch: #""1""#)
            #expect(commit.status == 412)
            let current = try await api.call(.get, "proposals/provisioner/default")
            #expect(current.json["revision"] as? Int == 0, "nothing committed")
            #expect(((current.json["content"] as? [String: Any])?["attributes"] as? [String: Any])?["dhcp_lease_time"] as? Int == 120)
            #expect(try await api.call(.patch, "proposals/provisioner/default", #"{"edits": []}"#, ifMatch: "3").status == 400)
            #expect(try await api.call(.patch, "proposals/provisioner/default", #"{"edits": []}"#, ifMatch: "*").status == 200)
        }
    }

    /// Named tokens: a reader reads but cannot change, reveal secrets or power nodes; an operator changes but cannot
    /// manage tokens; a revoked token is refused; events name the token that caused them.
    @Test func tokensHaveRolesAndEventsSayWhoActed() async throws {
        try await APIHarness().run { api in
            let reader = try await api.call(.post, "tokens", #"{"name": "dashboard", "role": "reader"}"#)
            #expect(reader.status == 201, "\(reader.body)")
            let readerToken = try #require(reader.json["token"] as? String)
            let operatorToken = try #require(try await api.call(.post, "tokens", #"{"name": "alice", "role": "operator"}"#).json["token"] as? String)
            #expect(try await api.call(.post, "tokens", #"{"name": "alice", "role": "reader"}"#).status == 409, "names are not reused")
            #expect(try await api.call(.post, "tokens", #"{"name": "bad name", "role": "reader"}"#).status == 422)

            #expect(try await api.call(.get, "nodes", token: readerToken).status == 200)
            #expect(try await api.call(.post, "proposals/provisioner", #"{"name": "default"}"#, token: operatorToken).status == 201)
            #expect(try await api.call(.get, "proposals/provisioner/default", token: readerToken).status == 200)
            let secrets = try await api.call(.get, "proposals/provisioner/default?secrets=true", token: readerToken)
            #expect(secrets.status == 403 && secrets.json["error"] as? String == "forbidden", "\(secrets.body)")
            #expect((secrets.json["detail"] as? String)?.contains("token dashboard is a reader") == true)
            #expect(try await api.call(.post, "proposals/provisioner/default/commit?apply=false", token: readerToken).status == 403)
            #expect(try await api.call(.post, "nodes/d52-54-00-00-00-01/power", #"{"action": "on"}"#, token: readerToken).status == 403)
            #expect(try await api.call(.get, "proposals/provisioner/default?secrets=true", token: operatorToken).status == 200)
            #expect(try await api.call(.get, "tokens", token: operatorToken).status == 403)

            let node = try await api.discover("52:54:00:00:00:31")
            let assigned = try await api.call(
                .put, "proposals/provisioner/default/deployment/provisioner-server", #"{"nodes": ["\#(node)"]}"#, token: operatorToken)
            #expect(assigned.status == 200, "\(assigned.body)")
            let committed = try await api.call(.post, "proposals/provisioner/default/commit?apply=false", token: operatorToken, actor: "alice@desk")
            #expect(committed.status == 200, "\(committed.body)")
            let events = try await api.call(.get, "events?subject=provisioner/default").list
            #expect(events.first { $0["kind"] as? String == "proposal.committed" }?["actor"] as? String == "alice (alice@desk)")
            #expect(events.first { $0["kind"] as? String == "proposal.created" }?["actor"] as? String == "alice")

            let listed = try await api.call(.get, "tokens")
            #expect(listed.list.map { $0["name"] as? String } == ["alice", "dashboard"])
            #expect(!listed.body.contains(readerToken), "tokens are never listed")
            #expect(try await api.call(.delete, "tokens/dashboard").json["revokedAt"] != nil)
            #expect(try await api.call(.get, "nodes", token: readerToken).status == 401, "a revoked token is refused")
            #expect(try await api.call(.delete, "tokens/nobody").status == 404)
        }
    }

    @Test func requiresNeedAnActiveProposal() async throws {
        try await APIHarness().run { api in
            try await api.call(.post, "proposals/network", #"{"name": "default"}"#)
            let refused = try await api.call(.post, "proposals/network/default/commit")
            #expect(refused.status == 422)
            #expect(refused.body.contains("requires an active provisioner proposal"))
        }
    }

    @Test func secretsAreMaskedUnlessAskedFor() async throws {
        try await APIHarness().run { api in
            let created = try await api.call(.post, "proposals/keystone", #"{"name": "default"}"#)
            let attributes = (created.json["content"] as? [String: Any])?["attributes"] as? [String: Any]
            #expect(attributes?["admin_password"] as? String == "********")
            let shown = try await api.call(.get, "proposals/keystone/default?secrets=true")
            let password = ((shown.json["content"] as? [String: Any])?["attributes"] as? [String: Any])?["admin_password"] as? String
            #expect(password?.count == 24)
            #expect(!(try await api.call(.get, "proposals/keystone/default").body.contains(password ?? "-")))
        }
    }

    @Test func nodeAllocationAndIllegalTransitions() async throws {
        try await APIHarness().run { api in
            let node = try await api.discover("52:54:00:00:00:07")
            let again = try await api.call(.post, "nodes/discover", #"{"macs": ["52:54:00:00:00:07"], "inventory": {"disks": []}}"#)
            #expect(again.status == 200)
            let allocated = try await api.call(.post, "nodes/\(node)/allocate")
            #expect(allocated.json["adminAddress"] as? String == "192.168.124.81")
            #expect(allocated.json["state"] as? String == "allocated")
            let illegal = try await api.call(.post, "nodes/\(node)/allocate")
            #expect(illegal.status == 409)
            #expect(illegal.json["error"] as? String == "illegal_transition")
            let badState = try await api.call(.post, "nodes/\(node)/transition", #"{"state": "flying"}"#)
            #expect(badState.status == 400)
            #expect(try await api.call(.post, "nodes/\(node)/transition", #"{"state": "installing"}"#).status == 200)
            let networks = try await api.call(.get, "networks")
            let admin = networks.list.first { ($0["network"] as? [String: Any])?["name"] as? String == "admin" }
            #expect((admin?["allocations"] as? [[String: Any]])?.first?["node"] as? String == node)
            #expect(try await api.call(.delete, "nodes/\(node)").status == 204)
            let events = try await api.call(.get, "events?subject=\(node)")
            #expect(events.list.compactMap { $0["kind"] as? String }.last == "node.transition")
            #expect(events.list.last?["toState"] as? String == "deleted")
        }
    }
}

@Suite struct NodeListingTests {
    @Test func pagesFollowTheLinkHeaderAndListEveryNodeOnce() async throws {
        try await APIHarness().run { api in
            var names: [String] = []
            for index in 0..<5 { names.append(try await api.discover("52:54:00:00:01:0\(index)")) }
            var listed: [String] = []
            var path = "nodes?limit=2"
            var pages = 0
            while pages < 5 {
                let page = try await api.call(.get, path)
                #expect(page.status == 200)
                listed += page.list.compactMap { $0["name"] as? String }
                pages += 1
                guard let link = page.link else { break }
                #expect(link.hasSuffix(">; rel=\"next\""))
                path = String(link.dropFirst("</api/v1/".count).prefix { $0 != ">" })
                #expect(path.contains("limit=2") && path.contains("after=\(listed.last!)"))
            }
            #expect(listed == names.sorted())
            #expect(pages == 3)
            let whole = try await api.call(.get, "nodes")
            #expect(whole.list.count == 5 && whole.link == nil)
            let exact = try await api.call(.get, "nodes?limit=5")
            #expect(exact.list.count == 5 && exact.link == nil)
        }
    }

    @Test func withoutALimitAnAnswerHoldsAtMostOneThousandNodes() async throws {
        let harness = try APIHarness()
        for index in 0...NodeQuery.maxLimit {
            let mac = String(format: "52:54:00:00:%02x:%02x", index >> 8, index & 255)
            _ = try await harness.database.register(DiscoveryReport(macs: [mac], inventory: Inventory()))
        }
        try await harness.run { api in
            let first = try await api.call(.get, "nodes")
            #expect(first.list.count == NodeQuery.maxLimit)
            let last = try #require(first.list.last?["name"] as? String)
            #expect(first.link == "</api/v1/nodes?after=\(last)>; rel=\"next\"")
            let rest = try await api.call(.get, "nodes?after=\(last)")
            #expect(rest.list.count == 1 && rest.link == nil)
        }
    }

    @Test func stateAndRoleFiltersCombineWithPages() async throws {
        try await APIHarness().run { api in
            var names: [String] = []
            for index in 0..<6 { names.append(try await api.discover("52:54:00:00:02:0\(index)")) }
            for name in names[0..<3] {
                #expect(try await api.call(.post, "nodes/\(name)/transition", #"{"state": "problem"}"#).status == 200)
            }
            #expect(try await api.call(.post, "proposals/ntp", #"{"name": "default"}"#).status == 201)
            let assigned = [names[1], names[2], names[4]]
            let assign = try await api.call(.put, "proposals/ntp/default/deployment/ntp-client", #"{"nodes": ["\#(assigned.joined(separator: "\", \""))"]}"#)
            #expect(assign.status == 200)
            let listed = { (answer: APIClient.Answer) in answer.list.compactMap { $0["name"] as? String } }
            #expect(listed(try await api.call(.get, "nodes?state=problem")) == Array(names[0..<3]))
            #expect(listed(try await api.call(.get, "nodes?role=ntp-client")) == assigned)
            #expect(listed(try await api.call(.get, "nodes?role=ntp-server")).isEmpty)
            let both = try await api.call(.get, "nodes?state=problem&role=ntp-client&limit=1")
            #expect(listed(both) == [names[1]])
            #expect(both.link?.contains("state=problem") == true && both.link?.contains("role=ntp-client") == true)
            let rest = try await api.call(.get, "nodes?state=problem&role=ntp-client&limit=1&after=\(names[1])")
            #expect(listed(rest) == [names[2]] && rest.link == nil)
        }
    }

    @Test func badListingParametersAreRefusedNamingThem() async throws {
        try await APIHarness().run { api in
            let state = try await api.call(.get, "nodes?state=flying")
            #expect(state.status == 400 && state.json["field"] as? String == "state")
            let role = try await api.call(.get, "nodes?role=no-such-role")
            #expect(role.status == 422 && role.json["field"] as? String == "role")
            for limit in ["0", "1001", "many"] {
                let answer = try await api.call(.get, "nodes?limit=\(limit)")
                #expect(answer.status == 400 && answer.json["field"] as? String == "limit")
            }
        }
    }
}

@Suite struct NetworkCommitTests {
    @Test func networkProposalWithARangeOutsideItsSubnetIsRefused() async throws {
        try await APIHarness().run { api in
            let node = try await api.discover("52:54:00:00:00:09")
            try await api.call(.post, "proposals/provisioner", #"{"name": "default"}"#)
            try await api.call(.put, "proposals/provisioner/default/deployment/provisioner-server", #"{"nodes": ["\#(node)"]}"#)
            #expect(try await api.call(.post, "proposals/provisioner/default/commit").status == 200)
            try await api.call(.post, "proposals/network", #"{"name": "default"}"#)
            let edit = #"{"edits": [{"path": "networks.admin.ranges.host", "value": {"start": "10.9.9.1", "end": "10.9.9.9"}}]}"#
            #expect(try await api.call(.patch, "proposals/network/default", edit).status == 200)
            let refused = try await api.call(.post, "proposals/network/default/commit")
            #expect(refused.status == 422)
            #expect(refused.json["field"] as? String == "networks.admin.ranges.host")
        }
    }
}

@Suite struct ListenAddressTests {
    @Test func onlyLoopbackAddressesAreLoopback() throws {
        for text in ["127.0.0.1:3000", "127.9.8.7:0", "localhost:3000", "[::1]:3000"] {
            #expect(try #require(ListenAddress(text)).isLoopback, "\(text)")
        }
        for text in ["0.0.0.0:3000", "192.168.124.10:3000", "[::]:3000", "admin.example:3000", "127.0.0.1.example:3000", "1127.0.0.1:3000"] {
            #expect(try #require(ListenAddress(text)).isLoopback == false, "\(text)")
        }
        #expect(ListenAddress("127.0.0.1") == nil && ListenAddress(":3000") == nil && ListenAddress("h:70000") == nil)
        let address = try #require(ListenAddress("192.168.124.10:3000"))
        #expect(address.host == "192.168.124.10" && address.port == 3000)
    }
}
