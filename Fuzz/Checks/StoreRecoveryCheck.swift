import StoreContract
import FileStore
import Glibc
import Scaling

/// Whatever bytes a crash, a bad disk or a person left in the state directory, the store either refuses to start
/// with a reason or starts with exactly the whole records that came before the damage; and a store that started
/// takes a new write, at a revision above every one it recovered, that is still there after compaction and a
/// reopen.
public enum StoreRecoveryCheck {
    public static func run(_ input: [UInt8]) {
        let bytes = Array(input.dropFirst())
        checkScan(bytes)
        let asSnapshot = input.first.map { $0 & 1 == 1 } ?? false
        checkOpen(bytes, asSnapshot: asSnapshot)
    }

    /// A record written is the record read back.
    static func checkRoundTrip(_ record: StoredRecord) {
        var line: [UInt8] = []
        RecordFormat.appendLine(record, to: &line)
        let scan = RecordFormat.scan(line)
        precondition(scan.firstBad == nil && scan.records == [record], "\(record) did not read back: \(scan.firstBad as Any)")
    }

    static func checkScan(_ bytes: [UInt8]) {
        let scan = RecordFormat.scan(bytes)
        precondition(scan.validLength <= bytes.count, "valid length past the end")
        precondition(scan.validLength == 0 || bytes[scan.validLength - 1] == UInt8(ascii: "\n"), "valid length inside a line")
        precondition((scan.firstBad == nil) == (scan.validLength == bytes.count), "a clean scan must cover every byte")
        precondition(scan.firstBad.map { $0.offset == scan.validLength } ?? true, "the damage starts where the valid part ends")
        precondition(!scan.validAfterBad || scan.firstBad != nil, "records after damage, with no damage")
        let prefix = RecordFormat.scan(Array(bytes[0..<scan.validLength]))
        precondition(prefix.firstBad == nil && prefix.records == scan.records, "the valid prefix reads differently alone")
        var rewritten: [UInt8] = []
        for record in scan.records { RecordFormat.appendLine(record, to: &rewritten) }
        precondition(RecordFormat.scan(rewritten).records == scan.records, "records did not survive being written again")
    }

    static func checkOpen(_ bytes: [UInt8], asSnapshot: Bool) {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write(asSnapshot ? "dimensions.snapshot" : "dimensions.log", bytes)
        let scan = RecordFormat.scan(bytes)
        let mustRefuse = asSnapshot ? scan.firstBad != nil : scan.validAfterBad
        var expected: [DimensionID: Dimension] = [:]
        for record in scan.records {
            switch record {
            case .dimension(let dimension): expected[dimension.id] = dimension
            case .deletion(let id): expected[id] = nil
            case .lastRevision, .event, .eventDelivered: break
            }
        }
        let options = FileStore.Options(compactionThresholdBytes: 1, compactionWaitsForSnapshotSize: false)
        let store: FileStore
        do {
            store = try FileStore(directory: directory.path, options: options)
        } catch {
            precondition(mustRefuse, "the store refused recoverable bytes: \(error)")
            return
        }
        precondition(!mustRefuse, "the store opened over damage with whole records after it")
        let recovered = try! store.allDimensionsAndWait().get()
        precondition(recovered.map(content) == expected.values.sorted { $0.id < $1.id }.map(content), "recovered state differs from the records")
        precondition(recovered.allSatisfy { $0.revision > 0 }, "a recovered dimension has no revision")
        let written = Dimension(id: try! DimensionID("written-after-recovery"), version: "v", resourceName: "r",
                                dimensionName: "d", actualCapacity: 2, desiredCapacity: 3, scalingStatus: .pending)
        guard case .success(let change) = store.updateAndWait(written.id, { _ in written }) else {
            preconditionFailure("a write after recovery failed")
        }
        precondition(recovered.allSatisfy { $0.revision < change.after.revision }, "a revision was given again")
        store.close()
        for dimension in recovered { expected[dimension.id] = dimension }
        expected[written.id] = change.after
        guard let reopened = try? FileStore(directory: directory.path, options: options) else {
            preconditionFailure("the store did not reopen after a write on recovered bytes")
        }
        precondition(try! reopened.allDimensionsAndWait().get() == expected.values.sorted { $0.id < $1.id }, "state changed across a reopen")
        reopened.close()
    }
}

/// A dimension's state without its revision, which recovery gives a record that has none.
private func content(_ dimension: Dimension) -> Dimension {
    var content = dimension
    content.revision = 0
    return content
}

/// A fresh directory for one check, on tmpfs when there is one (fsync there costs nothing).
struct TemporaryDirectory {
    let path: String

    init() {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(base)/capacityd-fuzz-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(name)")
        precondition(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count, "short write")
        close(fd)
    }

    func remove() {
        for name in ["dimensions.snapshot", "dimensions.snapshot.tmp", "dimensions.log", "LOCK"] { unlink(path + "/" + name) }
        rmdir(path)
    }
}
