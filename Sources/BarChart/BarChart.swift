/// A grouped bar chart written as a standalone SVG document, for benchmark tables an operator opens in a browser.
///
/// Written by the project rather than by a plotting service or library so `fzctl bench tunnel --chart` works
/// offline on a bare server and adds no dependency. Bars keep their order; consecutive bars with the same
/// ``Bar/group`` are drawn together under the group's name. The y axis starts at 0 and ends at a round tick
/// at or above the largest value.
public struct BarChart: Sendable {
    /// One bar: a labelled value in a group.
    public struct Bar: Sendable, Equatable {
        /// The text under the bar (x axis).
        public var label: String
        /// The bar's height in y-axis units; negative or non-finite values are drawn as 0.
        public var value: Double
        /// The group the bar is drawn in (e.g. `TCP`, `UDP`).
        public var group: String
        /// Whether the bar is a reference (drawn in another colour and named in the legend).
        public var isReference: Bool
        /// Short text printed above the bar instead of its value (e.g. `error`), or nil.
        public var note: String?

        /// A bar.
        public init(label: String, value: Double, group: String, isReference: Bool = false, note: String? = nil) {
            self.label = label
            self.value = value
            self.group = group
            self.isReference = isReference
            self.note = note
        }
    }

    /// The chart's title, at the top.
    public var title: String
    /// The y axis's name, with its unit (e.g. `Gbit/s`).
    public var yAxisLabel: String
    /// The x axis's name (e.g. what the bar labels are made of).
    public var xAxisLabel: String
    /// What the legend calls reference bars.
    public var referenceLegend: String
    /// What the legend calls the other bars.
    public var measuredLegend: String
    /// The bars, in drawing order.
    public var bars: [Bar]

    /// A chart of `bars`.
    public init(
        title: String, yAxisLabel: String, xAxisLabel: String, bars: [Bar],
        referenceLegend: String = "reference", measuredLegend: String = "measured"
    ) {
        self.title = title
        self.yAxisLabel = yAxisLabel
        self.xAxisLabel = xAxisLabel
        self.bars = bars
        self.referenceLegend = referenceLegend
        self.measuredLegend = measuredLegend
    }

    /// Geometry of the drawing, in SVG user units.
    public enum Layout {
        /// Least space from the left edge to the y axis (room for tick labels and the axis name); more when
        /// the first bar's slanted label needs it.
        public static let minimumLeft = 80.0
        /// Least width of the whole drawing, so the title and legend fit.
        public static let minimumWidth = 640.0
        /// Approximate advance of one character of 12-unit sans-serif text, for sizing the margins.
        public static let characterWidth = 6.5
        /// Space above the plot (title and legend).
        public static let top = 80.0
        /// Height of the plot area, from the x axis up to the top tick.
        public static let plotHeight = 320.0
        /// Horizontal room per bar.
        public static let barPitch = 34.0
        /// Drawn width of a bar.
        public static let barWidth = 24.0
        /// Extra horizontal room between groups.
        public static let groupGap = 30.0
        /// Space right of the plot.
        public static let right = 30.0
    }

    /// The y value of the top tick: the largest value rounded up to 1, 2, 2.5 or 5 times a power of ten
    /// (1 when every value is 0).
    public var axisMaximum: Double {
        let largest = bars.map { Self.drawable($0.value) }.max() ?? 0
        return Self.niceCeiling(largest)
    }

    /// The tick values on the y axis, from 0 to ``axisMaximum`` in five equal steps.
    public var ticks: [Double] {
        let top = axisMaximum
        return (0...5).map { top * Double($0) / 5 }
    }

    /// The height in SVG units of a bar of `value`.
    public func barHeight(_ value: Double) -> Double {
        Self.drawable(value) / axisMaximum * Layout.plotHeight
    }

    /// How far a bar label, slanted at 45 degrees, reaches left of and below its anchor.
    var labelExtent: Double {
        Double(bars.map { $0.label.count }.max() ?? 0) * Layout.characterWidth * 0.7072
    }

    /// Space from the left edge to the y axis.
    public var left: Double {
        max(Layout.minimumLeft, labelExtent + 10 - Layout.groupGap / 2 - Layout.barWidth / 2)
    }

    /// The complete SVG document.
    public func svg() -> String {
        let groups = groupedBars()
        let left = self.left
        let plotWidth = Double(bars.count) * Layout.barPitch + Double(max(groups.count - 1, 0)) * Layout.groupGap
            + Layout.groupGap
        // The title is 18 units high and bold: about 11 units per character.
        let width = max(left + plotWidth + Layout.right, Layout.minimumWidth, Double(title.count) * 11 + 40)
        let height = Layout.top + Layout.plotHeight + labelExtent + 60
        let axisY = Layout.top + Layout.plotHeight
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" \
            viewBox="0 0 \(Self.number(width)) \(Self.number(height))" font-family="sans-serif" font-size="12">

            """
        out += "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
            + "fill=\"#ffffff\" class=\"background\"/>\n"
        out += "<text x=\"\(Self.number(width / 2))\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" "
            + "font-weight=\"bold\" class=\"title\">\(Self.escape(title))</text>\n"
        out += legend(x: left, y: 52)
        // Grid lines and tick labels.
        for tick in ticks {
            let y = axisY - barHeight(tick)
            out += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(y))\" "
                + "x2=\"\(Self.number(left + plotWidth))\" y2=\"\(Self.number(y))\" stroke=\"#dddddd\"/>\n"
            out += "<text x=\"\(Self.number(left - 6))\" y=\"\(Self.number(y + 4))\" text-anchor=\"end\" "
                + "class=\"tick\">\(Self.escape(Self.tickText(tick)))</text>\n"
        }
        // Bars, grouped.
        var x = left + Layout.groupGap / 2
        for group in groups {
            let groupStart = x
            for bar in group.bars {
                out += draw(bar, x: x, axisY: axisY)
                x += Layout.barPitch
            }
            let groupCenter = (groupStart + x - Layout.barPitch + Layout.barWidth) / 2
            out += "<text x=\"\(Self.number(groupCenter))\" y=\"\(Self.number(Layout.top - 6))\" "
                + "text-anchor=\"middle\" font-weight=\"bold\" class=\"group\">\(Self.escape(group.name))</text>\n"
            x += Layout.groupGap
        }
        // Axes and their names.
        out += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(Layout.top))\" "
            + "x2=\"\(Self.number(left))\" y2=\"\(Self.number(axisY))\" stroke=\"#000000\" class=\"y-axis\"/>\n"
        out += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(axisY))\" "
            + "x2=\"\(Self.number(left + plotWidth))\" y2=\"\(Self.number(axisY))\" stroke=\"#000000\" "
            + "class=\"x-axis\"/>\n"
        let yLabelY = Layout.top + Layout.plotHeight / 2
        let yLabelX = left - 50
        out += "<text x=\"\(Self.number(yLabelX))\" y=\"\(Self.number(yLabelY))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(Self.number(yLabelX)) \(Self.number(yLabelY)))\" class=\"y-label\">"
            + "\(Self.escape(yAxisLabel))</text>\n"
        out += "<text x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(Self.number(height - 12))\" "
            + "text-anchor=\"middle\" class=\"x-label\">\(Self.escape(xAxisLabel))</text>\n"
        out += "</svg>\n"
        return out
    }

    private func legend(x: Double, y: Double) -> String {
        var out = ""
        let entries = [(measuredLegend, Self.measuredFill), (referenceLegend, Self.referenceFill)]
        var x = x
        for (name, fill) in entries {
            out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y - 10))\" width=\"12\" height=\"12\" "
                + "fill=\"\(fill)\" class=\"legend\"/>\n"
            out += "<text x=\"\(Self.number(x + 16))\" y=\"\(Self.number(y))\" class=\"legend\">"
                + "\(Self.escape(name))</text>\n"
            x += 16 + Double(name.count) * Layout.characterWidth + 24
        }
        return out
    }

    private func draw(_ bar: Bar, x: Double, axisY: Double) -> String {
        let height = barHeight(bar.value)
        let fill = bar.isReference ? Self.referenceFill : Self.measuredFill
        let center = x + Layout.barWidth / 2
        var out = "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(axisY - height))\" "
            + "width=\"\(Self.number(Layout.barWidth))\" height=\"\(Self.number(height))\" fill=\"\(fill)\" "
            + "class=\"\(bar.isReference ? "bar reference" : "bar")\">"
            + "<title>\(Self.escape(bar.label)): \(Self.escape(bar.note ?? Self.tickText(bar.value)))</title></rect>\n"
        let valueText = bar.note ?? Self.tickText(Self.drawable(bar.value))
        out += "<text x=\"\(Self.number(center))\" y=\"\(Self.number(axisY - height - 4))\" text-anchor=\"middle\" "
            + "font-size=\"10\" class=\"value\">\(Self.escape(valueText))</text>\n"
        let labelY = axisY + 12
        out += "<text x=\"\(Self.number(center))\" y=\"\(Self.number(labelY))\" text-anchor=\"end\" "
            + "transform=\"rotate(-45 \(Self.number(center)) \(Self.number(labelY)))\" class=\"bar-label\">"
            + "\(Self.escape(bar.label))</text>\n"
        return out
    }

    private func groupedBars() -> [(name: String, bars: [Bar])] {
        var groups: [(name: String, bars: [Bar])] = []
        for bar in bars {
            if groups.last?.name == bar.group {
                groups[groups.count - 1].bars.append(bar)
            } else {
                groups.append((bar.group, [bar]))
            }
        }
        return groups
    }

    static let measuredFill = "#3b75af"
    static let referenceFill = "#b0b0b0"

    static func drawable(_ value: Double) -> Double {
        value.isFinite && value > 0 ? value : 0
    }

    /// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (1 for 0).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * power >= value * (1 - 1e-12) {
            return step * power
        }
        return 10 * power
    }

    /// A tick or value label: up to two decimals, without trailing zeros.
    static func tickText(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100
        let fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A coordinate with at most two decimals.
    static func number(_ value: Double) -> String {
        tickText(value)
    }

    /// `text` with the five XML special characters escaped, and control characters (not allowed in XML 1.0)
    /// replaced by `?`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
