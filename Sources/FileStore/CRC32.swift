import CZlibShims

/// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip), so a torn or corrupted record is told from a whole one.
/// zlib computes it several bytes a step, and every record written and read is checksummed.
enum CRC32 {
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        // A record is far below 4 GiB, zlib's limit for one call.
        UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
    }
}
