/// The fuzzed entry points, by the names scripts/fuzz and the corpus folders (Fuzz/Corpus/NAME) use.
public enum FuzzCheck: String, CaseIterable, Sendable {
    case requestParser = "request-parser"
    case chunkedBody = "chunked-body"
    case patchBody = "patch-body"
    case dimensionID = "dimension-id"
    case storeRecovery = "store-recovery"

    /// Runs one input; a broken property stops the process (a precondition), which libFuzzer reports as a crash.
    public func run(_ input: [UInt8]) {
        switch self {
        case .requestParser: RequestParserCheck.run(input)
        case .chunkedBody: ChunkedBodyCheck.run(input)
        case .patchBody: PatchBodyCheck.run(input)
        case .dimensionID: DimensionIDCheck.run(input)
        case .storeRecovery: StoreRecoveryCheck.run(input)
        }
    }
}
