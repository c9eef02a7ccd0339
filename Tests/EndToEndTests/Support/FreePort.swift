import Foundation

/// A port nobody listens on right now, for peers whose configuration needs a number up front (pebble's ports,
/// the plain-HTTP port pebble's validator must reach). Another process may take it before it is used: rare
/// enough on loopback, and `Pebble` starts again on other ports if its own are taken.
func freePort() -> UInt16 {
    ClosedPort().number
}

/// A loopback port bound but not listening while this value lives: a connection to it is refused, and no other
/// process can take it meanwhile.
final class ClosedPort {
    private let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    let number: UInt16

    init() {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { [fd] in
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        number = UInt16(bigEndian: address.sin_port)
    }

    deinit {
        close(fd)
    }
}
