import HTTP1
import Testing

@Suite("Entity tags (If-Match, If-None-Match)")
struct EntityTagTests {
    /// (the field's lines; what they parse to, nil for a syntax error)
    @Test(arguments: [
        ([#""1""#], .tags([EntityTag("1")])),
        ([#"W/"1""#], .tags([EntityTag("1", isWeak: true)])),
        ([#""1", W/"2" ,"x""#], .tags([EntityTag("1"), EntityTag("2", isWeak: true), EntityTag("x")])),
        ([#""1""#, #""2""#], .tags([EntityTag("1"), EntityTag("2")])),
        ([#" , "1" ,, "#], .tags([EntityTag("1")])),
        ([#""""#], .tags([EntityTag("")])),
        (["*"], .any), ([" * "], .any),
        ([""], nil), ([" , "], nil), (["1"], nil), ([#""1"#], nil), ([#"w/"1""#], nil), ([#""1" "2""#], nil),
        ([#"*, "1""#], nil), (["*", #""1""#], nil), ([#""a b""#], nil), (["\"a\u{7F}\""], nil),
    ] as [([String], EntityTagCondition?)])
    func parse(lines: [String], expected: EntityTagCondition?) {
        let parsed = try? EntityTagCondition(lines: lines)
        #expect(parsed == expected, "\(lines)")
    }

    @Test func noLinesIsNoCondition() throws {
        #expect(try EntityTagCondition(lines: []) == nil)
    }
}

@Suite("Prefer: wait")
struct PreferenceTests {
    /// (the field's lines; the seconds of wait, nil for none)
    @Test(arguments: [
        (["wait=10"], 10), (["Wait = 5"], 5), (["respond-async, wait=3"], 3), (["wait=\"7\""], 7),
        (["wait=4; foo=bar"], 4), (["handling=lenient", "wait=2"], 2), (["wait=1, wait=9"], 1), (["wait=0"], 0),
        ([], nil), (["respond-async"], nil), (["wait"], nil), (["wait="], nil), (["wait=-1"], nil), (["wait=1.5"], nil),
        (["wait=99999999999"], nil), (["waiting=3"], nil),
    ] as [([String], Int?)])
    func wait(lines: [String], expected: Int?) {
        #expect(Preferences.wait(in: lines) == expected, "\(lines)")
    }
}
