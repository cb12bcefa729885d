import Foundation

/// Where the configuration reads environment variables (`password_env`, `secret_env`):
/// the process's environment, under what a task puts over it. Tests give their variables
/// this way instead of `setenv`, which rewrites the environment while other tests' threads
/// read it (a crash seen in Yams reading `YAMS_DEFAULT_ENCODING`).
enum ConfigEnvironment {
    @TaskLocal static var overlay: [String: String] = [:]

    static func value(_ name: String) -> String? {
        overlay[name] ?? ProcessInfo.processInfo.environment[name]
    }
}
