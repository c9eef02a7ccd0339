import StoreContract
import Glibc
import Scaling
import SystemIO

extension FileStore {
    /// The writer thread: takes everything queued, writes it with one pwrite, syncs once, then publishes.
    func runWriter() {
        while true {
            let batch: [QueuedWrite]? = lock.withLock {
                while queue.isEmpty && !stopping { lock.wait() }
                if queue.isEmpty { return nil }
                let taken = queue
                queue.removeAll(keepingCapacity: true)
                return taken
            }
            guard let batch else { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [QueuedWrite]) {
        var bytes: [UInt8] = []
        var records = 0
        for write in batch {
            for record in (write.record.map { [$0] } ?? []) + write.events {
                RecordFormat.appendLine(record, to: &bytes)
                records += 1
            }
        }
        var failure: String?
        let started = Clock.monotonicMicroseconds()
        if !bytes.isEmpty {
            do {
                if let fault = options.writeFault?() { throw fault }
                if logNeedsTruncate {
                    try FileSystem.truncate(log, to: logSize)
                    logNeedsTruncate = false
                }
                // A failed directory sync fails the batch and is tried again with the next one. Unlike a file's
                // pages, which Linux may drop after a failed fsync, an entry lives in the file system's journal;
                // ext4 aborts its journal when a commit fails, so every later sync fails too rather than succeed
                // without writing.
                while let unsynced = unsyncedDirectories.first {
                    try FileSystem.syncDirectory(unsynced)
                    unsyncedDirectories.removeFirst()
                }
                try FileSystem.write(bytes, to: log, at: logSize)
                try FileSystem.fdatasync(log)
                logSize += bytes.count
                publishSyncedLength(logSize)
            } catch {
                failure = "\(error)"
                // Drop whatever part of the batch reached the file: it was never acknowledged, and after a failed
                // sync its pages cannot be trusted. If even this fails, the next batch tries again first.
                do {
                    try FileSystem.truncate(log, to: logSize)
                } catch {
                    logNeedsTruncate = true
                }
            }
        }
        let failedLater: [QueuedWrite] = lock.withLock {
            if !bytes.isEmpty {
                counters.writeSeconds.observe(Double(Clock.monotonicMicroseconds() - started) / 1_000_000)
            }
            if let failure {
                counters.failedWrites += 1
                lastFailure = failure
                // Everything queued meanwhile was computed on top of states that will now never exist.
                pending.removeAll()
                let later = queue
                queue.removeAll()
                return later
            }
            lastFailure = nil
            if records > 0 { counters.syncs += 1 }
            counters.records += UInt64(records)
            for write in batch {
                for event in write.events {
                    switch event {
                    case .event(let entry): outboxTable.apply(.replace(entry))
                    case .eventDelivered(let key): outboxTable.apply(.remove(key))
                    case .dimension, .deletion, .lastRevision: preconditionFailure("not an outbox record")
                    }
                }
                guard write.sequence > 0 else { continue }
                switch write.record {
                case .dimension(let dimension)?:
                    committed[write.id] = KnownDimension(dimension, number: write.sequence)
                    if !deletedNumbers.isEmpty { deletedNumbers[write.id] = nil }
                case .deletion?: committed[write.id] = nil
                case .lastRevision?, .event?, .eventDelivered?: preconditionFailure("a dimension write is a state or a deletion")
                case nil: committed[write.id]?.number = write.sequence
                }
                if pending[write.id]?.sequence == write.sequence { pending[write.id] = nil }
            }
            return []
        }
        if let failure {
            let error = StoreError.unavailable(cause: "could not write the state: \(failure)")
            for write in batch + failedLater { write.completion(.failure(error)) }
            return
        }
        for write in batch { write.completion(.success(())) }
        observers.tell(batch.compactMap { write in
            switch write.record {
            case .dimension(let dimension)?: .changed(write.id, revision: dimension.revision)
            case .deletion?: .changed(write.id, revision: 0)
            case .lastRevision?, .event?, .eventDelivered?, nil: nil
            }
        })
        if compactionIsDue { compact() }
    }

    /// Past the threshold, and past the last snapshot's size too unless half the events it holds have been
    /// delivered since (`Options.compactionWaitsForSnapshotSize`).
    private var compactionIsDue: Bool {
        guard logSize >= options.compactionThresholdBytes else { return false }
        guard options.compactionWaitsForSnapshotSize, logSize < snapshotSize else { return true }
        return lock.withLock { outboxTable.entries.count } * 2 < snapshotEvents
    }

    /// Writes the revision counter, every committed dimension and every undelivered event to a new snapshot,
    /// atomically replaces the old one, and empties the log.
    /// A crash at any step leaves a snapshot plus a log whose replay gives the same state (records are whole
    /// states, so replaying one twice is harmless).
    private func compact() {
        var bytes: [UInt8] = []
        let records = snapshotRecords()
        for record in records { RecordFormat.appendLine(record, to: &bytes) }
        let temporary = directory + "/" + Self.snapshotName + ".tmp"
        do {
            let file = try FileSystem.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try FileSystem.write(bytes, to: file, at: 0)
            try FileSystem.fsync(file)
            file.close()
            try FileSystem.rename(temporary, to: directory + "/" + Self.snapshotName)
            try FileSystem.syncDirectory(directory)
            snapshotSize = bytes.count
            snapshotEvents = records.count(where: \.isEvent)
            lock.withLock { counters.compactions += 1 }
            // Readers learn of the new generation before the log empties: one that read the old one retries.
            logGeneration &+= 1
            publishSyncedLength(0)
            try FileSystem.truncate(log, to: 0)
            // From here the log is empty whether or not the fsync succeeds: the next batch's fdatasync makes the
            // new length durable with its data (writing at the old length would leave zeros before it).
            logSize = 0
            try FileSystem.fsync(log)
        } catch {
            // The log still holds everything; compaction is retried after the next write.
            FileSystem.printError("capacityd: store compaction failed: \(error)")
        }
    }
}
