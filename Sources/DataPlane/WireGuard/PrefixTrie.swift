/// A path-compressed binary trie from prefixes of up to 128 bits to values: the longest-prefix match behind
/// ``AllowedIPs``.
///
/// Nodes live in one array and link by index; their values sit in a parallel array, so a lookup follows plain
/// integers through contiguous memory (no reference counting until it returns, no allocation) and costs one
/// step per branching bit on the way, at most the prefix width, however many prefixes the table holds. Each
/// node stores its prefix masked to its length; a node without a value only branches. Removing a prefix
/// splices out the nodes it leaves useless and their slots are reused, so the arrays stay as large as the
/// most prefixes the table has held at once (about two nodes per prefix).
@usableFromInline
struct PrefixTrie<Value: AnyObject> {
    /// A key: bits 0-63 in `high` and 64-127 in `low`, most significant first (an IPv4 address is the top 32).
    @usableFromInline
    struct Key: Equatable {
        @usableFromInline var high: UInt64
        @usableFromInline var low: UInt64

        @inlinable
        init(high: UInt64, low: UInt64) {
            self.high = high
            self.low = low
        }

        /// The key with only its first `length` bits kept.
        @inlinable
        func masked(to length: Int) -> Key {
            if length >= 128 { return self }
            if length >= 64 {
                return Key(high: high, low: length == 64 ? 0 : low & ~(UInt64.max >> UInt64(length - 64)))
            }
            return Key(high: length == 0 ? 0 : high & ~(UInt64.max >> UInt64(length)), low: 0)
        }

        /// Bit `index` (0 is the most significant) as 0 or 1.
        @inlinable
        func bit(_ index: Int) -> Int {
            index < 64 ? Int(truncatingIfNeeded: (high >> UInt64(63 - index)) & 1)
                : Int(truncatingIfNeeded: (low >> UInt64(127 - index)) & 1)
        }

        /// How many leading bits `self` and `other` share (128 when equal).
        @inlinable
        func commonPrefixLength(with other: Key) -> Int {
            let top = high ^ other.high
            if top != 0 { return top.leadingZeroBitCount }
            return 64 + (low ^ other.low).leadingZeroBitCount
        }
    }

    @usableFromInline
    struct Node {
        /// The node's prefix, masked to `length`.
        @usableFromInline var key: Key
        @usableFromInline var length: Int
        /// Children by the bit after the prefix; -1 for none.
        @usableFromInline var children: (Int32, Int32)
        @usableFromInline var hasValue: Bool

        @inlinable
        func child(_ bit: Int) -> Int32 { bit == 0 ? children.0 : children.1 }

        @inlinable
        mutating func setChild(_ bit: Int, _ index: Int32) {
            if bit == 0 { children.0 = index } else { children.1 = index }
        }

        var childCount: Int { (children.0 >= 0 ? 1 : 0) + (children.1 >= 0 ? 1 : 0) }
    }

    @usableFromInline var nodes: [Node] = []
    /// `values[i]` belongs to `nodes[i]`.
    @usableFromInline var values: [Value?] = []
    @usableFromInline var root: Int32 = -1
    /// Slots of removed nodes, reused before the array grows.
    var free: [Int32] = []
    /// Prefixes with a value.
    private(set) var count = 0

    @usableFromInline
    init() {}

    /// The value of the longest prefix holding `key`, or nil.
    @inlinable
    func lookup(_ key: Key) -> Value? {
        var best: Int32 = -1
        var index = root
        while index >= 0 {
            let node = nodes[Int(index)]
            guard key.masked(to: node.length) == node.key else { break }
            if node.hasValue { best = index }
            if node.length == 128 { break }
            index = node.child(key.bit(node.length))
        }
        return best >= 0 ? values[Int(best)] : nil
    }

    /// Stores `value` for the prefix and returns the value it replaced, if any.
    @discardableResult
    mutating func insert(_ prefix: Key, length: Int, value: Value) -> Value? {
        let prefix = prefix.masked(to: length)
        guard root >= 0 else {
            root = makeNode(prefix, length, value)
            count += 1
            return nil
        }
        var parent: Int32 = -1
        var parentBit = 0
        var index = root
        while true {
            let node = nodes[Int(index)]
            let common = min(prefix.commonPrefixLength(with: node.key), node.length, length)
            if common == node.length && common == length {
                let previous = values[Int(index)]
                values[Int(index)] = value
                nodes[Int(index)].hasValue = true
                if previous == nil { count += 1 }
                return previous
            }
            if common == node.length {
                // The node's prefix holds the new one: go down the side its next bit picks.
                let bit = prefix.bit(node.length)
                let next = node.child(bit)
                if next < 0 {
                    let made = makeNode(prefix, length, value)
                    nodes[Int(index)].setChild(bit, made)
                    count += 1
                    return nil
                }
                parent = index
                parentBit = bit
                index = next
                continue
            }
            let made: Int32
            if common == length {
                // The new prefix holds the node's: it goes in between, above the node.
                made = makeNode(prefix, length, value)
                nodes[Int(made)].setChild(node.key.bit(length), index)
            } else {
                // They part after `common` bits: a branching node takes both.
                made = makeNode(prefix.masked(to: common), common, nil)
                let leaf = makeNode(prefix, length, value)
                nodes[Int(made)].setChild(prefix.bit(common), leaf)
                nodes[Int(made)].setChild(node.key.bit(common), index)
            }
            if parent < 0 { root = made } else { nodes[Int(parent)].setChild(parentBit, made) }
            count += 1
            return nil
        }
    }

    /// Removes exactly this prefix's value and returns it; nodes left without purpose are spliced out.
    @discardableResult
    mutating func remove(_ prefix: Key, length: Int) -> Value? {
        let prefix = prefix.masked(to: length)
        // The path from the root, to relink what the removal leaves behind.
        var path: [(index: Int32, bit: Int)] = []
        var index = root
        while index >= 0 {
            let node = nodes[Int(index)]
            guard node.length <= length, prefix.masked(to: node.length) == node.key else { return nil }
            if node.length == length { break }
            let bit = prefix.bit(node.length)
            path.append((index, bit))
            index = node.child(bit)
        }
        guard index >= 0, let removed = values[Int(index)] else { return nil }
        values[Int(index)] = nil
        nodes[Int(index)].hasValue = false
        count -= 1
        // Splice out the node, then its parent if that only branched and now has one child left.
        var current = index
        var depth = path.count
        while current >= 0 {
            let node = nodes[Int(current)]
            guard !node.hasValue, node.childCount < 2 else { break }
            let replacement = node.children.0 >= 0 ? node.children.0 : node.children.1
            if depth == 0 {
                root = replacement
            } else {
                let above = path[depth - 1]
                nodes[Int(above.index)].setChild(above.bit, replacement)
            }
            release(current)
            guard replacement < 0, depth > 0 else { break }
            // The node was a leaf: its parent lost a child and may now be useless too.
            depth -= 1
            current = path[depth].index
        }
        return removed
    }

    /// Nodes in use.
    var nodeCount: Int { nodes.count - free.count }

    private mutating func makeNode(_ key: Key, _ length: Int, _ value: Value?) -> Int32 {
        let node = Node(key: key, length: length, children: (-1, -1), hasValue: value != nil)
        if let slot = free.popLast() {
            nodes[Int(slot)] = node
            values[Int(slot)] = value
            return slot
        }
        nodes.append(node)
        values.append(value)
        return Int32(nodes.count - 1)
    }

    private mutating func release(_ index: Int32) {
        nodes[Int(index)] = Node(key: Key(high: 0, low: 0), length: 0, children: (-1, -1), hasValue: false)
        values[Int(index)] = nil
        free.append(index)
    }
}
