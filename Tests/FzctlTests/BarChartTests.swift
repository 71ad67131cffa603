import BarChart
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The SVG chart `fzctl bench tunnel --chart` writes: well-formed, labelled, one bar per row, scaled right.
@Suite("BarChart")
struct BarChartTests {
    static let bars = [
        BarChart.Bar(label: "fzctl<->fzctl epoll swift offload", value: 4.2, group: "TCP"),
        BarChart.Bar(label: "wireguard-go<->wireguard-go", value: 0.66, group: "TCP", isReference: true),
        BarChart.Bar(label: "fzctl<->fzctl epoll swift no-offload", value: 0, group: "UDP", note: "error"),
        BarChart.Bar(label: "a <b> & \"c\" 'd'", value: 1.5, group: "UDP"),
    ]
    static let chart = BarChart(
        title: "Tunnel <throughput>", yAxisLabel: "Gbit/s", xAxisLabel: "pair io crypto offload", bars: bars,
        referenceLegend: "reference: wireguard-go")

    /// Parses `svg` and returns its elements in document order as (name, attributes, text).
    static func elements(_ svg: String) throws -> [(name: String, attributes: [String: String], text: String)] {
        let document = try XMLDocument(data: Data(svg.utf8))
        var found: [(String, [String: String], String)] = []
        func visit(_ node: XMLElement) {
            var attributes: [String: String] = [:]
            for attribute in node.attributes ?? [] {
                attributes[attribute.name ?? ""] = attribute.stringValue ?? ""
            }
            found.append((node.name ?? "", attributes, node.stringValue ?? ""))
            for child in node.children ?? [] {
                if let element = child as? XMLElement { visit(element) }
            }
        }
        guard let root = document.rootElement() else { throw XMLError.noRoot }
        visit(root)
        return found
    }

    enum XMLError: Error { case noRoot }

    @Test("the SVG parses as XML with an svg root, even with markup characters in every text")
    func wellFormed() throws {
        let elements = try Self.elements(Self.chart.svg())
        #expect(elements.first?.name == "svg")
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("Tunnel <throughput>"))
        #expect(texts.contains("a <b> & \"c\" 'd'"))
    }

    @Test("the title, both axis names, the group names and every bar label are drawn")
    func labels() throws {
        let texts = try Self.elements(Self.chart.svg()).filter { $0.name == "text" }
        func has(_ className: String, _ text: String) -> Bool {
            texts.contains { $0.attributes["class"] == className && $0.text == text }
        }
        #expect(has("title", "Tunnel <throughput>"))
        #expect(has("y-label", "Gbit/s"))
        #expect(has("x-label", "pair io crypto offload"))
        #expect(has("group", "TCP") && has("group", "UDP"))
        for bar in Self.bars { #expect(has("bar-label", bar.label)) }
        #expect(has("legend", "reference: wireguard-go"))
        #expect(has("value", "error"), "a failed row shows its note instead of a value")
    }

    @Test("one rect per bar, the reference marked, heights proportional to the values on a 0-to-top-tick axis")
    func barsAndScaling() throws {
        let rects = try Self.elements(Self.chart.svg()).filter {
            $0.name == "rect" && ($0.attributes["class"] ?? "").hasPrefix("bar")
        }
        #expect(rects.count == Self.bars.count)
        #expect(rects.map { $0.attributes["class"] == "bar reference" } == Self.bars.map(\.isReference))
        // 4.2 rounds up to an axis of 5: a bar of 4.2 is 84% of the plot's height.
        #expect(Self.chart.axisMaximum == 5)
        let heights = rects.map { Double($0.attributes["height"] ?? "") ?? -1 }
        let expected = Self.bars.map { $0.value / 5 * BarChart.Layout.plotHeight }
        for (height, want) in zip(heights, expected) {
            #expect(abs(height - want) < 0.01, "bar height \(height), expected \(want)")
        }
        // Bars stand on the x axis: y + height is the same for all.
        let bottoms = rects.map {
            (Double($0.attributes["y"] ?? "") ?? 0) + (Double($0.attributes["height"] ?? "") ?? 0)
        }
        #expect(Set(bottoms.map { ($0 * 100).rounded() }).count == 1)
    }

    @Test("y ticks run from 0 to a round maximum at or above the largest value, labelled")
    func ticks() throws {
        #expect(Self.chart.ticks == [0, 1, 2, 3, 4, 5])
        let tickTexts = try Self.elements(Self.chart.svg()).filter { $0.attributes["class"] == "tick" }.map(\.text)
        #expect(tickTexts == ["0", "1", "2", "3", "4", "5"])
        let cases: [(Double, Double)] = [(0, 1), (0.66, 1), (1.2, 2), (2.1, 2.5), (19, 20), (21, 25), (0.03, 0.05)]
        for (largest, top) in cases {
            let chart = BarChart(title: "t", yAxisLabel: "y", xAxisLabel: "x",
                                 bars: [BarChart.Bar(label: "b", value: largest, group: "g")])
            #expect(abs(chart.axisMaximum - top) < 1e-9, "largest \(largest): axis top \(chart.axisMaximum)")
        }
    }

    @Test("escaping replaces the XML special characters and drops control characters")
    func escaping() {
        #expect(BarChart.escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;")
        #expect(BarChart.escape("bell\u{07}") == "bell?")
    }
}
