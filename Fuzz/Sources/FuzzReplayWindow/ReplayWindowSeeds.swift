/// Seeds for the replay-window target: in-order counters, reordering inside the window, a jump past
/// the whole ring, counters at the window's edge, and the top of the counter space.
enum ReplayWindowSeeds {
    static func make() -> [(name: String, bytes: [UInt8])] {
        [
            ("in-order", Array(repeating: [0, 1], count: 32).joined().map { $0 }),
            ("reordered", [0, 10, 3, 5, 3, 5, 0, 1, 3, 2, 3, 9]),
            ("jump-and-edge", [1, 0xFF, 0xFF, 4, 0, 4, 0x40, 4, 0x41, 5, 0xC0, 0x0F, 2, 1, 4, 0x3F]),
            ("top", [7, 5, 7, 5, 7, 0, 3, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0x80]),
        ]
    }
}
