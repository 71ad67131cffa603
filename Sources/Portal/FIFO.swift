/// A first-in first-out queue with O(1) amortized pop, for the state's polled outputs.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func push(_ item: Element) {
        items.append(item)
    }

    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        // Compact once the consumed prefix dominates, so a long-lived portal does not grow without bound.
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        items = Array(items[head...]).filter { !shouldRemove($0) }
        head = 0
    }
}

extension FIFO: Sendable where Element: Sendable {}
