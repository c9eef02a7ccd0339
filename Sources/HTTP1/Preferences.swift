/// The `Prefer` field (RFC 7240): a client's preferences, of which capacityd reads `wait`.
public enum Preferences {
    /// The seconds of `wait=N` (§4.3) in the field's lines, nil when there is none or its value is not
    /// delta-seconds. Preference names are case-insensitive; a value may be quoted; parameters after `;` are
    /// ignored, as are other preferences. When `wait` is given more than once, the first counts (§2).
    public static func wait(in lines: [String]) -> Int? {
        for line in lines {
            for preference in line.split(separator: ",") {
                let head = preference.split(separator: ";", maxSplits: 1).first ?? ""
                let parts = head.split(separator: "=", maxSplits: 1)
                guard parts.count == 2,
                      trimmed(parts[0]).lowercased() == "wait" else { continue }
                var value = trimmed(parts[1])
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                guard !value.isEmpty, value.utf8.count <= 10, value.utf8.allSatisfy({ (0x30...0x39).contains($0) })
                else { return nil }
                return Int(value)
            }
        }
        return nil
    }
}

/// `text` without the spaces and tabs (OWS) around it.
private func trimmed(_ text: Substring) -> Substring {
    var text = text
    while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
    while let last = text.last, last == " " || last == "\t" { text.removeLast() }
    return text
}
