import Testing
import SafeParse

@Suite struct SmokeTests {
    @Test func simpleGetParses() {
        let t = Drive.request("GET http://Example.com:80/a?b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        #expect(t.error == nil)
        #expect(t.messages.count == 1)
        #expect(t.first?.complete == true)
        #expect(t.first?.head == "GET http://Example.com:80/a?b http11; Host: example.com; Accept: */*")
    }

    @Test func chunkedResponseDecodes() {
        let t = Drive.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n")
        #expect(t.error == nil)
        #expect(t.first?.body == Array("hello".utf8))
        #expect(t.first?.trailers == ["X-T: 1"])
        #expect(t.first?.complete == true)
    }
}
