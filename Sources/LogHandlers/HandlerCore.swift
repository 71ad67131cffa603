import Logging

/// The state and behaviour both handlers share: label, effective level, metadata, sink and clock.
///
/// It is a value like the handlers themselves, as swift-log requires: changing the level or metadata of one
/// `Logger` must not change another.
struct HandlerCore: Sendable {
    let label: String
    let sink: LogSink
    let clock: @Sendable () -> LogTimestamp
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// The level `Logger` compares against; for a filter level of `off` it is `.critical` and `isOff` is set.
    private var level: Logger.Level
    /// Set when the filter said `off` for this label and nobody has set a level since; drops even `critical`.
    private(set) var isOff: Bool

    init(
        label: String,
        level: LogFilter.Level,
        sink: LogSink,
        metadataProvider: Logger.MetadataProvider?,
        clock: @escaping @Sendable () -> LogTimestamp
    ) {
        self.label = label
        self.sink = sink
        self.clock = clock
        self.metadataProvider = metadataProvider
        self.level = level.loggerLevel ?? .critical
        self.isOff = level.loggerLevel == nil
    }

    var logLevel: Logger.Level {
        get { level }
        set {
            level = newValue
            isOff = false
        }
    }

    /// Handler metadata, overridden by the metadata provider, overridden by the call's own metadata.
    func mergedMetadata(for event: LogEvent) -> Logger.Metadata {
        let provided = metadataProvider?.get() ?? [:]
        let call = event.metadata ?? [:]
        if provided.isEmpty && call.isEmpty { return metadata }
        var merged = metadata
        merged.merge(provided) { _, new in new }
        merged.merge(call) { _, new in new }
        return merged
    }

    /// Keys sorted so that two lines with the same metadata print their fields in the same order.
    static func sortedKeys(_ metadata: Logger.Metadata) -> [String] {
        metadata.keys.sorted()
    }
}
