import StoreContract
import Metrics

/// The metric family each store figure is rendered as: every store's under `capacityd_store_`, a figure that
/// several stores count (records, failed writes) under one name, its help saying what this store counted.
extension ServiceMetrics {
    struct StoreFamily {
        enum Sample {
            case counter(UInt64)
            case gauge(Int)
            case histogram(Histogram)
        }

        let name: String
        let help: String
        let sample: Sample
    }

    static func family(_ figure: StoreFigure) -> StoreFamily {
        switch figure {
        case .recordsWritten(let count):
            StoreFamily(name: "capacityd_store_records_total", help: "Dimension records written.", sample: .counter(count))
        case .rowsWritten(let count):
            StoreFamily(name: "capacityd_store_records_total", help: "Dimension rows written.", sample: .counter(count))
        case .failedWrites(let count):
            StoreFamily(name: "capacityd_store_write_failures_total", help: "Writes that failed (answered 503).",
                        sample: .counter(count))
        case .failedWriteBatches(let count):
            StoreFamily(name: "capacityd_store_write_failures_total", help: "Write batches that failed (answered 503).",
                        sample: .counter(count))
        case .failedWriteStatements(let count):
            StoreFamily(name: "capacityd_store_write_failures_total",
                        help: "Statements with writes that failed or whose outcome is unknown (answered 503).",
                        sample: .counter(count))
        case .syncs(let count):
            StoreFamily(name: "capacityd_store_syncs_total", help: "fdatasync calls that made writes durable.",
                        sample: .counter(count))
        case .writeDuration(let histogram):
            StoreFamily(name: "capacityd_store_write_duration_seconds", help: "Time to write and fdatasync one batch of records.",
                        sample: .histogram(histogram))
        case .databaseConnections(let count):
            StoreFamily(name: "capacityd_store_database_connections",
                        help: "Connections to PostgreSQL that worked when last used or checked (idle ones are checked every second).",
                        sample: .gauge(count))
        case .databasePoolSize(let count):
            StoreFamily(name: "capacityd_store_database_pool_size", help: "Connections the store keeps when it can.",
                        sample: .gauge(count))
        case .queuedOperations(let count):
            StoreFamily(name: "capacityd_store_queued_operations", help: "Operations waiting for a database connection.",
                        sample: .gauge(count))
        case .statements(let count):
            StoreFamily(name: "capacityd_store_statements_total",
                        help: "Statements sent to PostgreSQL (each carries a batch of operations).", sample: .counter(count))
        case .operations(let count):
            StoreFamily(name: "capacityd_store_operations_total", help: "Reads, updates and deletions served.",
                        sample: .counter(count))
        case .conflicts(let count):
            StoreFamily(name: "capacityd_store_conflicts_total",
                        help: "Updates computed again because another process wrote the id first.", sample: .counter(count))
        case .databaseErrors(let count):
            StoreFamily(name: "capacityd_store_database_errors_total", help: "Failed statements and connection attempts.",
                        sample: .counter(count))
        case .reconnects(let count):
            StoreFamily(name: "capacityd_store_reconnects_total", help: "Connections made after the first.",
                        sample: .counter(count))
        case .listenerReconnects(let count):
            StoreFamily(name: "capacityd_store_listener_reconnects_total",
                        help: "Connections the listener for other instances' changes made after losing one.",
                        sample: .counter(count))
        case .statementDuration(let histogram):
            StoreFamily(name: "capacityd_store_statement_duration_seconds",
                        help: "Time from sending a statement to its whole answer.", sample: .histogram(histogram))
        }
    }

    /// Renders the store's figures, in the order the store gave them.
    static func render(_ figures: [StoreFigure], into out: inout PrometheusText) {
        for figure in figures {
            let named = family(figure)
            switch named.sample {
            case .counter(let value): out.single(named.name, type: "counter", help: named.help, Double(value))
            case .gauge(let value): out.single(named.name, type: "gauge", help: named.help, Double(value))
            case .histogram(let histogram):
                out.family(named.name, type: "histogram", help: named.help)
                out.histogram(named.name, [], histogram)
            }
        }
    }
}
