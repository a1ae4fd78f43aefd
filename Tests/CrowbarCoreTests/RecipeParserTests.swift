@testable import CrowbarCore
import Testing

@Suite("Recipe files")
struct RecipeParserTests {
    @Test func readsEveryResourceType() throws {
        let recipe = try RecipeParser.parse(
            """
            timeout: 600
            resources:
              - package: [chrony, tzdata]
              - file: /etc/motd
                content: "hello"
                mode: "0644"
              - template: /etc/chrony/chrony.conf
                source: chrony.conf.mustache
                owner: root
                group: _chrony
                mode: "0640"
              - ini: /etc/nova/nova.conf
                settings:
                  DEFAULT: {debug: false, workers: 2}
                  database: {connection: "mysql://x"}
              - service: chrony
                running: true
                enabled: true
                subscribes: [/etc/chrony/chrony.conf]
              - user: nova
                home: /var/lib/nova
                system: true
              - command: keystone-manage fernet_setup
                creates: /etc/keystone/fernet-keys/0
              - wait_for: 127.0.0.1:5672
                timeout: 30
              - wait_for: http://127.0.0.1:5000/v3
            """, name: "demo/server", file: "demo/server.yml")
        #expect(recipe.timeoutSeconds == 600)
        #expect(recipe.resources.map(\.kind.keyword) == [
            "package", "file", "template", "ini", "service", "user", "command", "wait_for", "wait_for",
        ])
        #expect(recipe.resources[0].kind == .package(names: ["chrony", "tzdata"]))
        #expect(recipe.resources[3].kind == .ini(
            path: "/etc/nova/nova.conf",
            settings: [
                IniSetting(section: "DEFAULT", key: "debug", value: "false"),
                IniSetting(section: "DEFAULT", key: "workers", value: "2"),
                IniSetting(section: "database", key: "connection", value: "mysql://x"),
            ], attributes: FileAttributes()))
        #expect(recipe.resources[7].kind == .waitFor(.port(host: "127.0.0.1", port: "5672"), timeoutSeconds: 30))
        #expect(recipe.resources[8].kind == .waitFor(.url("http://127.0.0.1:5000/v3"), timeoutSeconds: 120))
        #expect(recipe.resources[4].location.line == 16)
    }

    @Test(arguments: [
        ("resources:\n  - packag: chrony\n", "demo.yml:2:5: resources.0: a resource has exactly one of package, file, template, ini, service, user, command, wait_for"),
        ("resources:\n  - package: a\n    service: b\n", "found package, service"),
        ("resources:\n  - file: /x\n    content: y\n    mode: rw\n", "demo.yml:4:11: resources.0.mode: 'rw' is not an octal mode"),
        ("resources:\n  - service: chrony\n    runing: true\n", "demo.yml:3:5: resources.0.runing: unknown key"),
        ("resources:\n  - wait_for: nowhere\n", "resources.0.wait_for: expected host:port"),
        ("resources:\n  - file: /x\n", "resources.0.content: is required"),
        ("resources: [\n", "demo.yml:2:1: malformed YAML"),
        ("resources:\n  - ini: /x\n    settings:\n      DEFAULT: {\"a=b\": c}\n", "demo.yml:4:17: resources.0.settings.DEFAULT: 'a=b' is not an ini key"),
        ("resources:\n  - ini: /x\n    settings:\n      DEFAULT: {\"a \": c}\n", "'a ' is not an ini key"),
        ("resources:\n  - ini: /x\n    settings:\n      DEFAULT: {\"[a]\": c}\n", "'[a]' is not an ini key"),
        ("resources:\n  - ini: /x\n    settings:\n      \"a]\": {b: c}\n", "resources.0.settings: a section name cannot hold ']'"),
    ])
    func refusesMistakesWithFileLineAndKey(yaml: String, expected: String) {
        #expect {
            try RecipeParser.parse(yaml, name: "demo/server", file: "demo.yml")
        } throws: { error in
            "\(error)".contains(expected)
        }
    }
}
