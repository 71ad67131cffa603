import LogHandlers
import Logging
import Testing

@Suite("TextLogHandler")
struct TextLogHandlerTests {
    @Test("time SEVERITY target: message key=value")
    func format() {
        let collector = LineCollector()
        var logger = makeLogger(label: "wireguard", format: .text, collector: collector)
        logger[metadataKey: "peer"] = "abc"
        logger.warning("handshake timed out", metadata: ["attempt": .stringConvertible(3)])
        #expect(
            collector.lines == [
                "2026-11-25T12:34:56.123456Z WARN wireguard: handshake timed out attempt=3 peer=abc\n"
            ]
        )
    }

    @Test("values that need it are quoted and escaped; nested values are JSON")
    func quoting() {
        let collector = LineCollector()
        let logger = makeLogger(label: "t", format: .text, collector: collector)
        logger.info(
            "two\nlines",
            metadata: [
                "space": "a b", "quote": "say \"hi\"", "eq": "k=v", "empty": "",
                "nested": ["k": "v"], "list": ["1", "2"], "bracket": "[x]",
            ]
        )
        #expect(
            collector.lines == [
                "2026-11-25T12:34:56.123456Z INFO t: two\\nlines bracket=\"[x]\" empty=\"\" eq=\"k=v\" "
                    + "list=[\"1\",\"2\"] nested={\"k\":\"v\"} quote=\"say \\\"hi\\\"\" space=\"a b\"\n"
            ]
        )
    }

    @Test("an empty label prints no target")
    func emptyLabel() {
        let collector = LineCollector()
        let logger = makeLogger(label: "", format: .text, collector: collector)
        logger.critical("down")
        #expect(collector.lines == ["2026-11-25T12:34:56.123456Z ERROR down\n"])
    }
}
