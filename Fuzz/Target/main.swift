import CFuzzerDriver
import FuzzChecks
import Glibc

// capacityd-fuzz CHECK [libFuzzer options and corpus folders]: one executable serves every check, so each input
// goes through exactly what the corpus replay tests run. It has a main of its own (SwiftPM gives every executable
// one) and hands the remaining arguments to libFuzzer's driver.
nonisolated(unsafe) var selected = FuzzCheck.requestParser

var arguments = CommandLine.arguments
guard arguments.count >= 2, let check = FuzzCheck(rawValue: arguments[1]) else {
    let usage = "usage: capacityd-fuzz \(FuzzCheck.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer arguments]\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}
selected = check
arguments.remove(at: 1)

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
