import Foundation

/// Fault injection for crash tests, in debug builds only: when `CROWBAR_CRASH_AT` names a point, reaching it ends the
/// process at once with status 137, as `kill -9` would (no cleanup, no flush, an open transaction left uncommitted).
/// Tests start crowbard with the variable, make it reach the point, restart it without, and check what survived.
public enum CrashPoint {
    #if DEBUG
    private static let armed = ProcessInfo.processInfo.environment["CROWBAR_CRASH_AT"]
    #endif

    /// Ends the process when `name` is the armed point; otherwise (and always in release builds) does nothing.
    @inline(__always)
    public static func reach(_ name: String) {
        #if DEBUG
        if armed == name {
            FileHandle.standardError.write(Data("crash point \(name) reached: exiting\n".utf8))
            _exit(137)
        }
        #endif
    }
}
