import Foundation
import PacketLoopSupport
import Testing

/// Loop threads carry names an operator can find in `top -H`, `ps -L` and `perf`.
@Suite struct LoopThreadNameTests {
    final class Seen {
        var name = ""
    }

    /// The calling thread's name, as `ps -L` shows it.
    static func currentName() -> String {
        let text = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .newlines)
    }

    @Test("A loop thread runs under the name it was started with, cut to the kernel's 15 characters")
    func loopThreadIsNamed() throws {
        let seen = Seen()
        let thread = try LoopThread<Never>.start(name: "fz-test-long-thread-name") { seen.name = Self.currentName() }
        _ = thread.join()
        // pthread_join orders the thread's write before this read.
        #expect(seen.name == "fz-test-long-th")
    }

    @Test("A loop thread started without a name keeps the name of the thread that started it")
    func unnamedThreadKeepsItsName() throws {
        let seen = Seen()
        let starter = Self.currentName()
        let thread = try LoopThread<Never>.start { seen.name = Self.currentName() }
        _ = thread.join()
        #expect(!starter.isEmpty && seen.name == starter)
    }
}
