import CFuzzerDriver
import FuzzChecks
import Glibc

// capacityd-fuzz --check=CHECK [libFuzzer options and corpus folders]: one executable serves every check, so each
// input goes through exactly what the corpus replay tests run. It has a main of its own (SwiftPM gives every
// executable one) and hands the arguments to libFuzzer's driver, which ignores flags starting with "--" and passes
// them on to the processes it starts itself (-fork, -jobs, -merge), so those know the check too.
nonisolated(unsafe) var selected = FuzzCheck.requestParser

let arguments = CommandLine.arguments
let prefix = "--check="
guard let name = arguments.first(where: { $0.hasPrefix(prefix) })?.dropFirst(prefix.count),
      let check = FuzzCheck(rawValue: String(name)) else {
    let usage = "usage: capacityd-fuzz --check=\(FuzzCheck.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer arguments]\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}
selected = check

var argc = Int32(arguments.count)
var cStrings = arguments.map { strdup($0) } + [nil]
let status = cStrings.withUnsafeMutableBufferPointer { buffer in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        selected.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}
exit(status)
