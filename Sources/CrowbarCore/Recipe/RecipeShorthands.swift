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
            let user = try reader.requiredString("user"), password = try reader.requiredString("password")
            let environment = "DB_ADMIN_PASSWORD={{barclamps.database.root_password}} DB_PASSWORD=\(password)"
            let arguments = (["{{server.database-server.address}}", user] + names).joined(separator: " ")
            return (
                .command(
                    run: "\(environment) crowbar-database \(arguments)", creates: nil,
                    unless: "\(environment) crowbar-database --check \(arguments)"),
                "database \(names.joined(separator: " "))"
            )
        default:
            let name = try reader.requiredString("keystone_service"), type = try reader.requiredString("type")
            let url = try reader.requiredString("url"), user = try reader.requiredString("user")
            let password = try reader.requiredString("password")
            let environment = [
                "OS_AUTH_URL=http://{{server.keystone-server.address}}:{{barclamps.keystone.api.public_port}}/v3",
                "OS_USERNAME={{barclamps.keystone.admin_user}}", "OS_PASSWORD={{barclamps.keystone.admin_password}}",
                "OS_PROJECT_NAME={{barclamps.keystone.admin_project}}", "OS_REGION_NAME={{barclamps.keystone.region}}",
                "SERVICE_PASSWORD=\(password)",
            ].joined(separator: " ")
            let arguments = "service \(user) \(name) \(type) \(url)"
            return (
                .command(
                    run: "\(environment) crowbar-keystone \(arguments)", creates: nil,
                    unless: "\(environment) crowbar-keystone --check \(arguments)"),
                "keystone_service \(name) \(type)"
            )
        }
    }
}
