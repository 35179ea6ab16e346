import Proxy
import SafeParse
import Testing

@Suite struct CachePolicyInvalidationTests {
    typealias F = CachePolicyFixtures

    static func keys(_ method: String, _ target: String, _ status: Int, _ fields: [String]) throws -> [String] {
        let request = try F.request("\(method) \(target) HTTP/1.1", "Host: x", "Content-Length: 0")
        let response = try F.response(["HTTP/1.1 \(status) X"] + fields)
        return Invalidation.keysToInvalidate(request: request, response: response).map(\.description)
    }

    @Test("unsafe methods with a non-error status invalidate the target URI (§4.4)", arguments: [
        ("POST", 200, true), ("PUT", 201, true), ("DELETE", 204, true), ("PATCH", 200, true), ("PURGE", 200, true),
        ("POST", 303, true), ("POST", 400, false), ("POST", 500, false), ("POST", 100, false),
        ("GET", 200, false), ("HEAD", 200, false), ("OPTIONS", 200, false), ("TRACE", 200, false),
    ])
    func target(_ method: String, _ status: Int, _ invalidates: Bool) throws {
        let keys = try Self.keys(method, "http://Example.com:80/a/b?x=1", status, [])
        #expect(keys == (invalidates ? ["http://example.com/a/b?x=1"] : []))
    }

    @Test("Location and Content-Location of the same origin are invalidated too", arguments: [
        ("Location: http://example.com/c", ["http://example.com/c"]),
        ("Location: HTTP://EXAMPLE.COM:80/c", ["http://example.com/c"]),
        ("Location: /c?y", ["http://example.com/c?y"]),
        ("Location: c", ["http://example.com/a/c"]),
        ("Location: ../c", ["http://example.com/c"]),
        ("Location: ./c/../d/", ["http://example.com/a/d/"]),
        ("Location: ?z", ["http://example.com/a/b?z"]),
        ("Location: //example.com/e", ["http://example.com/e"]),
        ("Location: /c#frag", ["http://example.com/c"]),
        ("Location: ../../../../c", ["http://example.com/c"]),
        ("Location: #frag", []),                                    // the target itself, already listed
        ("Location: http://example.com/a/b?x=1", []),
        ("Location: http://other.example/c", []),                   // another origin: never
        ("Location: //other.example/c", []),
        ("Location: https://example.com/c", []),                    // another scheme is another origin
        ("Location: http://example.com:8080/c", []),                // another port too
        ("Location: mailto:a@example.com", []),
        ("Location: http://user@example.com/c", []),                // not a valid target URI
        ("Content-Location: /d", ["http://example.com/d"]),
    ])
    func related(_ field: String, _ extra: [String]) throws {
        let keys = try Self.keys("POST", "http://example.com/a/b?x=1", 201, [field])
        #expect(keys == ["http://example.com/a/b?x=1"] + extra)
    }

    @Test("both fields, without duplicates")
    func both() throws {
        let keys = try Self.keys("PUT", "http://example.com/a", 200, ["Location: /l", "Content-Location: /l"])
        #expect(keys == ["http://example.com/a", "http://example.com/l"])
        let two = try Self.keys("PUT", "http://example.com/a", 200, ["Location: /l", "Content-Location: /m"])
        #expect(two == ["http://example.com/a", "http://example.com/l", "http://example.com/m"])
    }
}
