#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LogHandlers
import Logging
import Testing

@Suite("LogSink")
struct LogSinkTests {
    @Test("a file descriptor sink writes every line whole, also from many tasks")
    func fileDescriptorSink() async throws {
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        let sink = LogSink(fileDescriptor: descriptors[1])
        let factory = LogSetup.makeFactory(format: .json, sink: sink, clock: fixedClock)
        let logger = Logger(label: "pipe", factory: factory)
        let padding = String(repeating: "x", count: 200)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<25 {
                        logger.info("\(padding)", metadata: ["task": "\(task)", "index": "\(index)"])
                    }
                }
            }
        }
        close(descriptors[1])

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptors[0], &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 100)
        #expect(lines.allSatisfy { parseJSONObject(String($0))?["message"] as? String == padding })
    }
}
