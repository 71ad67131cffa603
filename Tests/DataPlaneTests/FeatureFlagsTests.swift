import DataPlane
import Testing

@Suite("FeatureFlags")
struct FeatureFlagsTests {
    let flag = FeatureFlag.icmpErrorUnreachableProhibitedCreateNewFlow
    let variable = "FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW"

    @Test("names: snake case raw value, FZFF_ upper snake variable")
    func names() {
        #expect(flag.rawValue == "icmp_error_unreachable_prohibited_create_new_flow")
        #expect(flag.environmentVariable == variable)
        #expect(FeatureFlag.allCases.first == flag)
    }

    @Test("every flag is off by default")
    func defaultsOff() throws {
        let candidates = [
            FeatureFlags(), try FeatureFlags(environment: [:]), try FeatureFlags(environment: ["PATH": "/bin"]),
        ]
        for flags in candidates {
            for flag in FeatureFlag.allCases {
                #expect(!flags.isEnabled(flag))
                #expect(flags.source(of: flag) == .default)
                #expect(flags.source(of: flag).description == "default")
            }
            #expect(flags.unknownVariables.isEmpty)
        }
    }

    @Test("the environment turns a flag on or off, and the source says so")
    func environmentOverrides() throws {
        let on = try FeatureFlags(environment: [variable: "true"])
        #expect(on.isEnabled(flag))
        #expect(on.source(of: flag) == .environment(variable: variable))
        #expect(on.source(of: flag).description == "environment (\(variable))")
        let state = try #require(on.states.first)
        #expect(on.states.count == FeatureFlag.allCases.count)
        #expect(state.flag == flag && state.isEnabled && state.source == .environment(variable: variable))

        let off = try FeatureFlags(environment: [variable: "false"])
        #expect(!off.isEnabled(flag))
        #expect(off.source(of: flag) == .environment(variable: variable))
    }

    @Test("anything but exactly true or false is rejected, naming variable and value",
          arguments: ["1", "0", "TRUE", "True", "yes", "on", "", " true", "true "])
    func badValues(value: String) {
        #expect(throws: FeatureFlagError.invalidValue(variable: variable, value: value)) {
            try FeatureFlags(environment: [variable: value])
        }
        let message = FeatureFlagError.invalidValue(variable: variable, value: value).description
        #expect(message.contains(variable))
        #expect(message.contains("\"\(value)\""))
        #expect(message.contains("\"true\"") && message.contains("\"false\""))
    }

    @Test("the error message reads as one actionable line")
    func errorMessage() {
        let error = FeatureFlagError.invalidValue(variable: variable, value: "1")
        #expect(
            error.description
                == "invalid value \"1\" for \(variable): accepted values are exactly \"true\" or \"false\" "
                + "(lowercase), or leave it unset for false"
        )
    }

    @Test("unknown FZFF_ variables are listed, sorted, not rejected")
    func unknownVariables() throws {
        let flags = try FeatureFlags(environment: [
            "FZFF_TYPO": "true",
            "FZFF_ANOTHER": "whatever",
            "FZFF_icmp_error_unreachable_prohibited_create_new_flow": "true",
            variable: "true",
            "NOT_FZFF_X": "1",
            "fzff_lower": "true",
        ])
        #expect(flags.isEnabled(flag))
        #expect(
            flags.unknownVariables == [
                "FZFF_ANOTHER", "FZFF_TYPO", "FZFF_icmp_error_unreachable_prohibited_create_new_flow",
            ]
        )
    }
}
