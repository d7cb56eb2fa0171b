import EdgeLedgerCore
import Testing

/// ``JSONMemberPath``: the value of a member as written, or nothing.
@Suite struct JSONMemberPathTests {
    static func value(_ path: String, _ json: String) -> String? {
        JSONMemberPath(path)!.value(in: Array(json.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func findsMembersAsWritten() {
        #expect(Self.value("id", #"{"id":"m-17","v":1}"#) == #""m-17""#)
        #expect(Self.value("id", #"{ "v" : [1, {"id": 2}], "id" : 42 , "w":null}"#) == "42")
        #expect(Self.value("meta.id", #"{"meta":{"src":"a","id":{"n":1}},"id":9}"#) == #"{"n":1}"#)
        #expect(Self.value("id", #"{"id":1,"id":2}"#) == "1")
    }

    @Test func nothingWhenAbsentOrNotAnObject() {
        #expect(Self.value("id", #"{"v":1}"#) == nil)
        #expect(Self.value("meta.id", #"{"meta":5}"#) == nil)
        #expect(Self.value("id", #"[{"id":1}]"#) == nil)
        #expect(Self.value("id", #"{"id":"#) == nil)
        #expect(Self.value("id", "") == nil)
        #expect(Self.value("id", String(repeating: "{\"a\":", count: 200)) == nil)
    }

    @Test func parsesPaths() {
        #expect(JSONMemberPath("a.b")?.names == ["a", "b"])
        #expect(JSONMemberPath("") == nil)
        #expect(JSONMemberPath("a.") == nil)
        #expect(JSONMemberPath(".a") == nil)
    }
}
