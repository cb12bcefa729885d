import Catalog
import Foundation
import GRDB

/// The one place that decides whether an error means "no space left": SQLite's
/// `SQLITE_FULL`, `ENOSPC`/`EDQUOT` from a file write, or Foundation's out-of-space error.
/// The control API answers 507 for these, `gridwatchctl backup` says so, and the ticket
/// service names the condition in its log.
public enum DiskFull {
    public static func matches(_ error: any Error) -> Bool {
        switch error {
        case let error as DatabaseError:
            return error.resultCode == .SQLITE_FULL
        case let error as StoreError:
            if case .noSpace = error { return true }
            return false
        case let error as CocoaError where error.code == .fileWriteOutOfSpace:
            return true
        default:
            let ns = error as NSError
            if ns.domain == NSPOSIXErrorDomain && (ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT)) { return true }
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError { return matches(underlying) }
            return false
        }
    }

    /// What operators read (the catalogue's words, Chinese then English); names the data
    /// folder when given.
    public static func reason(directory: String? = nil) -> String {
        APIMessage.diskFull(directory: directory).text(.bilingual)
    }
}
