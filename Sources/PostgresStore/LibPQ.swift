import CPostgresShims
import Glibc

/// libpq, loaded the first time a PostgreSQL store is configured instead of linked: it brings about twenty shared
/// libraries (Kerberos, LDAP, GnuTLS, …) that the dynamic loader would otherwise map and relocate at every start,
/// also of a server that keeps its dimensions in files (about 3 ms of start-up here, and their pages in RSS).
/// Each function is looked up once by name; the types are libpq-fe.h's. Nothing in the package links `-lpq`, so a
/// call that bypasses this table fails the build.
struct LibPQ: @unchecked Sendable {
    static let soname = "libpq.so.5"

    let PQconnectdbParams: @convention(c) (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> OpaquePointer?
    let PQstatus: @convention(c) (OpaquePointer?) -> ConnStatusType
    let PQerrorMessage: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQfinish: @convention(c) (OpaquePointer?) -> Void
    let PQsetnonblocking: @convention(c) (OpaquePointer?, Int32) -> Int32
    let PQsendQueryParams: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?,
                                           UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Int32
    let PQflush: @convention(c) (OpaquePointer?) -> Int32
    let PQisBusy: @convention(c) (OpaquePointer?) -> Int32
    let PQgetResult: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let PQclear: @convention(c) (OpaquePointer?) -> Void
    let PQresultStatus: @convention(c) (OpaquePointer?) -> ExecStatusType
    let PQresultErrorField: @convention(c) (OpaquePointer?, Int32) -> UnsafeMutablePointer<CChar>?
    let PQresultErrorMessage: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let PQconsumeInput: @convention(c) (OpaquePointer?) -> Int32
    let PQsocket: @convention(c) (OpaquePointer?) -> Int32
    let PQntuples: @convention(c) (OpaquePointer?) -> Int32
    let PQnfields: @convention(c) (OpaquePointer?) -> Int32
    let PQgetisnull: @convention(c) (OpaquePointer?, Int32, Int32) -> Int32
    let PQgetvalue: @convention(c) (OpaquePointer?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let PQconninfoParse: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutablePointer<PQconninfoOption>?
    let PQconninfoFree: @convention(c) (UnsafeMutablePointer<PQconninfoOption>?) -> Void
    let PQbackendPID: @convention(c) (OpaquePointer?) -> Int32
    let PQnotifies: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<PGnotify>?
    let PQfreemem: @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// Loaded once, on first use; the failure says what is missing (`apt-get install libpq5`).
    static let loaded: Result<LibPQ, LoadError> = load()

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    private init(_ handle: UnsafeMutableRawPointer) throws(LoadError) {
        func symbol<F>(_ name: String) throws(LoadError) -> F {
            guard let address = dlsym(handle, name) else { throw LoadError(description: "\(LibPQ.soname) has no \(name)") }
            return unsafeBitCast(address, to: F.self)
        }
        PQconnectdbParams = try symbol("PQconnectdbParams")
        PQstatus = try symbol("PQstatus")
        PQerrorMessage = try symbol("PQerrorMessage")
        PQfinish = try symbol("PQfinish")
        PQsetnonblocking = try symbol("PQsetnonblocking")
        PQsendQueryParams = try symbol("PQsendQueryParams")
        PQflush = try symbol("PQflush")
        PQisBusy = try symbol("PQisBusy")
        PQgetResult = try symbol("PQgetResult")
        PQclear = try symbol("PQclear")
        PQresultStatus = try symbol("PQresultStatus")
        PQresultErrorField = try symbol("PQresultErrorField")
        PQresultErrorMessage = try symbol("PQresultErrorMessage")
        PQconsumeInput = try symbol("PQconsumeInput")
        PQsocket = try symbol("PQsocket")
        PQntuples = try symbol("PQntuples")
        PQnfields = try symbol("PQnfields")
        PQgetisnull = try symbol("PQgetisnull")
        PQgetvalue = try symbol("PQgetvalue")
        PQconninfoParse = try symbol("PQconninfoParse")
        PQconninfoFree = try symbol("PQconninfoFree")
        PQbackendPID = try symbol("PQbackendPID")
        PQnotifies = try symbol("PQnotifies")
        PQfreemem = try symbol("PQfreemem")
    }

    private static func load() -> Result<LibPQ, LoadError> {
        // Never unloaded: the functions stay valid for the life of the process.
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(LoadError(description: "the PostgreSQL store needs libpq (\(soname), Debian's libpq5): \(reason)"))
        }
        do {
            return .success(try LibPQ(handle))
        } catch {
            return .failure(error)
        }
    }
}
