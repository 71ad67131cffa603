import ArgumentParser
import DataPlane

/// `fzctl flags`: every feature flag, its effective value and where that value came from.
struct FlagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags",
        abstract: "Show the effective feature flags and where each value came from (default or FZFF_* variable)."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Runtime(global)
        var out = ""
        for flag in FeatureFlag.allCases {
            let value = context.flags.isEnabled(flag)
            out += "\(flag.rawValue.padding(52))\(value ? "true " : "false")  (\(context.flags.source(of: flag)))\n"
        }
        FileOutput.standardOutput(out)
    }
}
