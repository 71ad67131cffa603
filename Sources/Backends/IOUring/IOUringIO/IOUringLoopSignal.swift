@_exported import PacketLoopSupport

/// Stops or wakes an ``IOUringEventLoop`` from any thread: the eventfd ``EventSignal`` both backends share.
public typealias IOUringLoopSignal = EventSignal
