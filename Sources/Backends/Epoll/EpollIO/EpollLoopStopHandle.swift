@_exported import PacketLoopSupport

/// Stops or wakes an ``EpollEventLoop`` from any thread: the eventfd ``EventSignal`` both backends share.
public typealias EpollLoopStopHandle = EventSignal
