/// A passphrase callback that has none: an encrypted key is an error, never a prompt on the terminal.
package func refusePassphrase(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ writing: Int32,
                              _ argument: UnsafeMutableRawPointer?) -> Int32 {
    -1
}
