import HTTP1

/// The vocabulary of the state machine: its limits, the events that carry data, and the actions it asks for.
extension ConnectionStateMachine {
    /// The timeouts (milliseconds) and the pipelining bound every connection of a server shares.
    struct Limits: Equatable, Sendable {
        var headerTimeout: Int64
        var bodyTimeout: Int64
        var idleTimeout: Int64
        var writeTimeout: Int64
        /// How long a half-closed connection waits for the client's end-of-file before closing anyway.
        var lingerTimeout: Int64
        /// Unparsed input beyond this stops reading until requests are answered (pipelining back-pressure).
        var maxBufferedInput: Int

        static let defaultLingerMilliseconds: Int64 = 2000

        init(headerTimeout: Int64, bodyTimeout: Int64, idleTimeout: Int64, writeTimeout: Int64,
             lingerTimeout: Int64 = Limits.defaultLingerMilliseconds, maxBufferedInput: Int) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.maxBufferedInput = maxBufferedInput
        }

        init(_ configuration: ServerConfiguration) {
            let parser = configuration.parserLimits
            // One largest request in full, and some room for the next one's start.
            let largestRequest = parser.maxRequestLineBytes + parser.maxHeaderBytes + parser.maxBodyBytes
            self.init(headerTimeout: configuration.headerTimeoutMilliseconds,
                      bodyTimeout: configuration.bodyTimeoutMilliseconds,
                      idleTimeout: configuration.idleTimeoutMilliseconds,
                      writeTimeout: configuration.writeTimeoutMilliseconds,
                      maxBufferedInput: largestRequest + 65536)
        }
    }

    /// What the parser made of the buffered input.
    enum ParsedInput: Equatable {
        case incomplete
        /// The head is in and valid, the body is not.
        case head(expectsContinue: Bool)
        /// A whole request took the first `consumed` bytes; `keepAlive` is what its head asks for.
        case request(consumed: Int, keepAlive: Bool)
        case invalid(HTTPParseError)

        /// What the machine needs to know of the parser's verdict.
        init(_ outcome: RequestParser.Outcome) {
            switch outcome {
            case .incomplete: self = .incomplete
            case .headReceived(let head): self = .head(expectsContinue: head.expectsContinue)
            case .complete(let request, let consumed): self = .request(consumed: consumed, keepAlive: request.head.keepAlive)
            case .invalid(let error): self = .invalid(error)
            }
        }
    }

    /// Why the engine answers a request itself, with an error, and then closes.
    enum Refusal: Equatable {
        /// The parser refused it (its status: 400, 413, 414, 417, 431 or 505).
        case invalid(HTTPParseError)
        /// It did not arrive within the header or body timeout (408, RFC 9110 §15.5.9).
        case timedOut
    }

    /// What the connection does next. One value per event, so the hot path allocates nothing.
    enum Action: Equatable {
        /// Nothing changed that the connection must act on.
        case nothing
        /// Run the parser over the buffered input and report with `parsed(_:now:)`.
        case parse
        /// Hand the request just parsed to the responder, then report with `responderReturned(answered:now:)`.
        case dispatch
        /// Queue `100 Continue` (RFC 9110 §10.1.1), then `proceed`.
        case sendContinue
        /// Queue the response for the current request, with `Connection: close` when `closing`, then `proceed`.
        case writeResponse(closing: Bool)
        /// Drop the buffered input, queue the error response for `Refusal` (it always closes), then `proceed`.
        case refuse(Refusal)
        /// Drop the buffered input: the client finished sending, so it can never complete a request. Then `proceed`.
        case discardInput
        /// Send queued output (the connection does so at the end of its loop's turn); report `outputFlushed` or
        /// `writeBlocked`.
        case flush
        /// Wait for readiness, a response or a tick, watching what `wantsToRead` and `wantsToWrite` say.
        case wait
        /// Shut down the sending side (TLS close_notify, then a TCP half-close) and wait, reading only to drop.
        case shutdownWrite
        /// Close the connection, then report `closed()`.
        case close
    }
}
