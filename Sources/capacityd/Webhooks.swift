import CapacityOps

/// `capacityd webhooks list|resend`: the store's outbox of webhook events, and a dropped event sent again.
enum WebhooksCommand {
    static let command = Command(
        "webhooks",
        abstract: "Inspect the outbox of webhook events and send a dropped one again.",
        discussion: "list reads the store directly (the file store without its lock, also while a server runs) or, with --server URL --api-key KEY, a running server's admin routes (it needs --api-keys). resend goes through a running server, whose deliveries attempt the event at once.",
        subcommands: [
            Command("list", abstract: "List every event in the outbox, pending and dropped.",
                    options: StoreOptions.table + DimensionsCommand.serverOptions + [
                        Option("dropped", .flag, fromEnvironment: false, help: "Only the dropped events."),
                    ]) { arguments in
                let target = try DimensionsCommand.target(arguments)
                return try printOutput { () throws(WebhookAdmin.Failure) in
                    try WebhookAdmin.list(target, droppedOnly: arguments.flag("dropped"))
                }
            },
            Command("resend", abstract: "Send a dropped event again, through a running server.", options: DimensionsCommand.serverOptions,
                    positionals: [(name: "id", help: "The event's dimension id."),
                                  (name: "revision", help: "The event's revision."),
                                  (name: "receiver", help: "The receiver's URL, as configured.")]) { arguments in
                guard let server = arguments.string("server") else { throw UsageError("resend needs --server URL") }
                let positionals = arguments.positionals
                return try printOutput { () throws(WebhookAdmin.Failure) in
                    try WebhookAdmin.resend(id: positionals[0], revision: positionals[1], receiver: positionals[2],
                                            url: server, apiKey: arguments.string("api-key"))
                }
            },
        ])
}
