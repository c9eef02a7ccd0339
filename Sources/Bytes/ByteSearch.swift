import Glibc

/// Finding a byte in memory, for the parsers of the wire formats: libc's `memchr`, which compares a vector of bytes
/// at a time where a loop over a slice costs several instructions per byte (a SIMD scan written in Swift cost the
/// request parser ~200 more instructions per request than glibc's AVX2 search). Here, beside `ByteWriter`, so the
/// codecs above it import nothing but the standard library. Inlinable: each search is inlined where it is made, as
/// it was before it moved here.
public enum ByteSearch {
    /// The index of the first `byte` within `range` of `buffer`.
    @inlinable
    public static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "search outside the buffer")
        guard !range.isEmpty, let base = buffer.baseAddress,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
