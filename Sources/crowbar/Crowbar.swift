import ArgumentParser
import CrowbarCore

/// The `crowbar` command line: talks to crowbard's REST API.
@main
struct Crowbar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crowbar",
        abstract: "Drive a Crowbar admin node: nodes, barclamps, proposals and plans.",
        discussion: """
            Connects to crowbard at --url (or CROWBAR_URL, default http://127.0.0.1:3000) with the token from
            --token, CROWBAR_TOKEN, or the token file crowbard wrote (--token-file, default
            $CROWBAR_DATA_DIR/api-token or /var/lib/crowbar/api-token).

            Examples:
              crowbar node list
              crowbar proposal create keystone default
              crowbar proposal set keystone default region=RegionTwo token_expiration=7200
              crowbar proposal assign keystone default keystone-server d52-54-00-12-34-56
              crowbar proposal plan keystone default
              crowbar proposal commit keystone default
              crowbar plan --json

            Exit codes: 0 success, 1 unexpected failure, 2 usage error, 3 crowbard unreachable,
            4 unauthorized (or a token whose role does not allow it), 5 not found, 6 conflict,
            7 invalid input or failed validation,
            8 a followed run failed, 9 a followed run was cancelled.
            """,
        version: CrowbarVersion.current,
        subcommands: [
            NodeCommand.self, BarclampCommand.self, ProposalCommand.self, PlanCommand.self, RunCommand.self, EventsCommand.self,
            BootCommand.self, LabCommand.self, BatchCommand.self, DeployDayCommand.self, TerminalUICommand.self, TokenCommand.self,
        ])
}
