/// Resources that recipes would otherwise repeat, written short and expanded when the recipe is read into the
/// `command` they stand for (so check mode, idempotence and output are a command's):
///
/// ```yaml
/// - database: "{{attributes.db.database}}"          # or a list of databases for one user
///   user: "{{attributes.db.user}}"
///   password: "{{attributes.db.password}}"
/// - keystone_service: glance                         # service name
///   type: image
///   url: "http://{{node.address}}:{{attributes.api.port}}"
///   user: "{{attributes.service_user}}"
///   password: "{{attributes.service_password}}"
/// ```
///
/// The database is made on the `database-server` node with the database barclamp's root password; the service,
/// its endpoints (public, internal, admin) and its user with the admin role in `service` are registered with
/// keystone as its admin. Both run the node helpers the provisioner installs (`crowbar-database`,
/// `crowbar-keystone`), which take passwords from the environment only, never from the command line.
enum RecipeShorthands {
    static let keywords = ["database", "keystone_service"]

    static func expand(_ keyword: String, _ reader: inout YAMLMappingReader) throws(DefinitionError) -> (ResourceKind, label: String) {
        switch keyword {
        case "database":
            let names: [String]
            if reader.node("database")?.sequence != nil {
                names = try reader.stringList("database").map(\.0)
            } else {
                names = [try reader.requiredString("database")]
            }
            let databases = names.map(word)
            let user = word(try reader.requiredString("user")), password = word(try reader.requiredString("password"))
            let environment = "DB_ADMIN_PASSWORD={{barclamps.database.root_password}} DB_PASSWORD=\(password)"
            let arguments = (["{{server.database-server.address}}", user] + databases).joined(separator: " ")
            return (
                .command(
                    run: "\(environment) crowbar-database \(arguments)", creates: nil,
                    unless: "\(environment) crowbar-database --check \(arguments)"),
                "database \(names.joined(separator: " "))"
            )
        default:
            let name = try reader.requiredString("keystone_service"), type = try reader.requiredString("type")
            let url = word(try reader.requiredString("url")), user = word(try reader.requiredString("user"))
            let password = word(try reader.requiredString("password"))
            let environment = [
                "OS_AUTH_URL=http://{{server.keystone-server.address}}:{{barclamps.keystone.api.public_port}}/v3",
                "OS_USERNAME={{barclamps.keystone.admin_user}}", "OS_PASSWORD={{barclamps.keystone.admin_password}}",
                "OS_PROJECT_NAME={{barclamps.keystone.admin_project}}", "OS_REGION_NAME={{barclamps.keystone.region}}",
                "SERVICE_PASSWORD=\(password)",
            ].joined(separator: " ")
            let arguments = "service \(user) \(word(name)) \(word(type)) \(url)"
            return (
                .command(
                    run: "\(environment) crowbar-keystone \(arguments)", creates: nil,
                    unless: "\(environment) crowbar-keystone --check \(arguments)"),
                "keystone_service \(name) \(type)"
            )
        }
    }

    /// A shorthand field (a template: literal text and `{{tags}}`) as one shell word of the command it becomes: the
    /// literal text single-quoted, the tags left for the compiler, which quotes each value
    /// (`http://{{node.address}}:8776/v3/%(project_id)s` → `'http://'{{node.address}}':8776/v3/%(project_id)s'`).
    static func word(_ template: String) -> String {
        var result = "", rest = Substring(template)
        while let tag = rest.firstMatch(of: /\{\{\{?[^}]*\}\}\}?/) {
            let literal = rest[..<tag.range.lowerBound]
            if !literal.isEmpty { result += String(literal).shellQuoted }
            result += tag.output
            rest = rest[tag.range.upperBound...]
        }
        if !rest.isEmpty || result.isEmpty { result += String(rest).shellQuoted }
        return result
    }
}
