import Testing

@testable import CrowbarCore

@Suite("Recipe shorthands and shared settings")
struct RecipeShorthandTests {
    @Test func aDatabaseIsTheHelperCommandWithPasswordsInTheEnvironment() throws {
        let recipe = try RecipeParser.parse(
            """
            resources:
              - database: ["{{attributes.db.database}}", "{{attributes.db.database}}_cell0"]
                user: "{{attributes.db.user}}"
                password: "{{attributes.db.password}}"
            """, name: "nova/nova-controller", file: "nova-controller.yml")
        let environment = "DB_ADMIN_PASSWORD={{barclamps.database.root_password}} DB_PASSWORD={{attributes.db.password}}"
        let arguments = "{{server.database-server.address}} {{attributes.db.user}} {{attributes.db.database}} {{attributes.db.database}}'_cell0'"
        #expect(recipe.resources[0].kind == .command(
            run: "\(environment) crowbar-database \(arguments)", creates: nil, unless: "\(environment) crowbar-database --check \(arguments)"))
        #expect(recipe.resources[0].label == "database {{attributes.db.database}} {{attributes.db.database}}_cell0")
    }

    @Test func aKeystoneServiceIsRegisteredAsTheCloudsAdmin() throws {
        let recipe = try RecipeParser.parse(
            """
            resources:
              - keystone_service: glance
                type: image
                url: "http://{{node.address}}:{{attributes.api.port}}"
                user: "{{attributes.service_user}}"
                password: "{{attributes.service_password}}"
            """, name: "glance/glance-server", file: "glance-server.yml")
        guard case .command(let run, nil, let unless?) = recipe.resources[0].kind else {
            Issue.record("not a command: \(recipe.resources[0].kind)")
            return
        }
        // Tags unquoted here: the compiler quotes each value as one shell word; the fields' literal text is quoted.
        #expect(run.hasPrefix("OS_AUTH_URL=http://{{server.keystone-server.address}}:{{barclamps.keystone.api.public_port}}/v3 "))
        #expect(run.contains("OS_PASSWORD={{barclamps.keystone.admin_password}}"))
        #expect(run.hasSuffix(
            "SERVICE_PASSWORD={{attributes.service_password}} crowbar-keystone service {{attributes.service_user}} 'glance' 'image' "
                + "'http://'{{node.address}}':'{{attributes.api.port}}"))
        #expect(unless == run.replacingOccurrences(of: "crowbar-keystone service", with: "crowbar-keystone --check service"))
        #expect(recipe.resources[0].label == "keystone_service glance image")
    }

    /// A shorthand field's literal text becomes quoted shell text (cinder's URL holds `%(project_id)s`), its tags stay
    /// for the compiler to quote.
    @Test func shorthandFieldsAreOneShellWordEach() {
        #expect(RecipeShorthands.word("http://{{node.address}}:8776/v3/%(project_id)s") == "'http://'{{node.address}}':8776/v3/%(project_id)s'")
        #expect(RecipeShorthands.word("{{attributes.db.password}}") == "{{attributes.db.password}}")
        #expect(RecipeShorthands.word("it's") == #"'it'\''s'"#)
        #expect(RecipeShorthands.word("") == "''")
    }

    @Test func anIniIncludesSharedSectionsBeforeItsOwn() throws {
        let shared = try RecipeParser.parseShared([(
            "keystone_authtoken", "_shared/keystone_authtoken.yml",
            "settings:\n  keystone_authtoken:\n    auth_type: password\n    project_name: service\n")])
        let recipe = try RecipeParser.parse(
            """
            resources:
              - ini: /etc/glance/glance-api.conf
                include: [keystone_authtoken]
                settings:
                  keystone_authtoken: {project_name: services}
            """, name: "glance/glance-server", file: "glance-server.yml", shared: shared)
        #expect(recipe.resources[0].kind == .ini(
            path: "/etc/glance/glance-api.conf",
            settings: [
                IniSetting(section: "keystone_authtoken", key: "auth_type", value: "password"),
                IniSetting(section: "keystone_authtoken", key: "project_name", value: "service"),
                IniSetting(section: "keystone_authtoken", key: "project_name", value: "services"),
            ], attributes: FileAttributes()))
    }

    @Test func anIncludeTakesASharedListInPlaceWithItsCondition() throws {
        let shared = try RecipeParser.parseShared([
            ("ceph_client", "_shared/ceph_client.yml", """
                resources:
                  - package: [ceph-common]
                  - ini: /etc/ceph/ceph.conf
                    include: [global]
                    when: "{{attributes.x}} != 0"
                """),
            ("global", "_shared/global.yml", "settings:\n  global:\n    fsid: f\n"),
        ])
        let recipe = try RecipeParser.parse(
            """
            resources:
              - package: [cinder-volume]
              - include: ceph_client
                when: "{{attributes.backend}} == rbd"
              - service: cinder-volume
            """, name: "cinder/cinder-volume", file: "cinder-volume.yml", shared: shared)
        #expect(recipe.resources.map(\.label) == [
            "package cinder-volume", "package ceph-common", "ini /etc/ceph/ceph.conf", "service cinder-volume",
        ])
        #expect(recipe.resources.map(\.conditions) == [
            [], ["{{attributes.backend}} == rbd"], ["{{attributes.backend}} == rbd", "{{attributes.x}} != 0"], [],
        ])
        #expect("\(recipe.resources[2].location)".hasPrefix("_shared/ceph_client.yml:3:"))
        #expect(recipe.resources[2].kind == .ini(
            path: "/etc/ceph/ceph.conf", settings: [IniSetting(section: "global", key: "fsid", value: "f")], attributes: FileAttributes()))
    }

    @Test func aSharedListCannotIncludeAnother() {
        #expect {
            try RecipeParser.parseShared([
                ("a", "_shared/a.yml", "resources:\n  - package: [x]\n"),
                ("b", "_shared/b.yml", "resources:\n  - include: a\n"),
            ])
        } throws: { error in
            "\(error)".contains("_shared/b.yml:2:") && "\(error)".contains("no shared resources 'a'")
        }
    }

    @Test(arguments: [
        ("resources:\n  - ini: /x\n    include: [nope]\n", "demo.yml:3:15: resources.0.include: no shared settings 'nope'"),
        ("resources:\n  - include: nope\n", "demo.yml:2:5: resources.0.include: no shared resources 'nope'"),
        ("resources:\n  - database: glance\n    user: glance\n", "resources.0.password: is required"),
        ("resources:\n  - keystone_service: glance\n    type: image\n    url: u\n    user: g\n    password: p\n    region: r\n",
         "demo.yml:7:5: resources.0.region: unknown key"),
    ])
    func refusesMistakesWithFileLineAndKey(yaml: String, expected: String) {
        #expect {
            try RecipeParser.parse(yaml, name: "demo/server", file: "demo.yml")
        } throws: { error in
            "\(error)".contains(expected)
        }
    }
}

@Suite("Template partials")
struct TemplatePartialTests {
    let at = SourceLocation(file: "nova-controller.yml", line: 7)

    @Test func aPartialOnItsOwnLineStandsForItsLinesAndPartialsNest() throws {
        let templates = ["auth.mustache": "[auth]\nuser = {{attributes.user}}\n{{> region}}\n", "region.mustache": "region = one\n"]
        let text = try RecipeCompiler.withPartials("[a]\nx = 1\n\n{{> auth}}\n\n[b]\n", templates: templates, location: at, key: "source")
        #expect(text == "[a]\nx = 1\n\n[auth]\nuser = {{attributes.user}}\nregion = one\n\n[b]\n")
    }

    @Test func anUnknownOrEndlessPartialIsACompileError() {
        #expect {
            try RecipeCompiler.withPartials("{{> nope}}\n", templates: [:], location: at, key: "source nova.conf.mustache")
        } throws: { error in
            "\(error)" == "nova-controller.yml:7:1: source nova.conf.mustache: partial 'nope' not found (no nope.mustache among the templates)"
        }
        #expect(throws: DefinitionError.self) {
            try RecipeCompiler.withPartials("{{> loop}}", templates: ["loop.mustache": "{{> loop}}"], location: at, key: "source")
        }
    }
}
