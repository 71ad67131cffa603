/// A first-in first-out queue of a node's events for the control plane, drained by the driver each turn.
///
/// Storage is kept between bursts, so a steady node does not allocate for its events.
struct EventQueue<Event> {
    private var events: [Event] = []
    private var head = 0

    mutating func push(_ event: Event) {
        events.append(event)
    }

    /// The oldest event, or nil when drained.
    mutating func pop() -> Event? {
        guard head < events.count else { return nil }
        let event = events[head]
        head += 1
        if head == events.count {
            events.removeAll(keepingCapacity: true)
            head = 0
        }
        return event
    }

    var count: Int { events.count - head }
}
