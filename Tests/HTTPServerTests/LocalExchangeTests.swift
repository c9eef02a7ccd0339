import Glibc
import HTTP1
import HTTPServer
import SystemIO
import Testing

/// How `LocalExchange` takes a responder's answer: each row is one way a responder can answer (or fail to), and
/// the answer the caller must get, as a connection would write it.
@Suite("Local exchange")
struct LocalExchangeTests {
    /// How the responder answers.
    enum Behaviour: Sendable {
        case returnsAtOnce
        case defersAndFulfilsFromAnotherThread
        case fulfilsInsideRespond
        case fulfilsTwice
        case returnsAndFulfils
        case neitherAnswersNorDefers
        case defersAndNeverFulfils
        case expiresUnfulfilled
        case fulfilsBeforeItExpires
    }

    /// Answers with the status its behaviour names; tags every request 7.
    struct Responder: HTTPResponder {
        let behaviour: Behaviour

        func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
            context.setResponderTag(7)
            switch behaviour {
            case .returnsAtOnce:
                return HTTPResponse(status: .ok, body: Array(context.peer.utf8))
            case .defersAndFulfilsFromAnotherThread:
                let promise = context.deferResponse()
                let thread = try? PosixThread(name: "fulfil") {
                    usleep(20_000)
                    promise.succeed(HTTPResponse(status: .forbidden))
                }
                thread?.detach()
                return nil
            case .fulfilsInsideRespond:
                context.deferResponse().succeed(HTTPResponse(status: .conflict))
                return nil
            case .fulfilsTwice:
                let promise = context.deferResponse()
                promise.succeed(HTTPResponse(status: .conflict))
                promise.succeed(HTTPResponse(status: .forbidden))
                return nil
            case .returnsAndFulfils:
                context.deferResponse().succeed(HTTPResponse(status: .conflict))
                return HTTPResponse(status: .ok)
            case .expiresUnfulfilled:
                _ = context.deferResponse(expiringAfter: 50) { HTTPResponse(status: .notModified) }
                return nil
            case .fulfilsBeforeItExpires:
                let promise = context.deferResponse(expiringAfter: 100) { HTTPResponse(status: .notModified) }
                promise.succeed(HTTPResponse(status: .conflict))
                return nil
            case .neitherAnswersNorDefers, .defersAndNeverFulfils:
                if behaviour == .defersAndNeverFulfils { _ = context.deferResponse() }
                return nil
            }
        }

        func errorResponse(status: HTTPStatus, message: String) -> HTTPResponse {
            HTTPResponse(status: status, body: Array(message.utf8))
        }
    }

    /// The status the caller gets; nil: no answer within the wait.
    static let rows: [(Behaviour, Int?)] = [
        (.returnsAtOnce, 200),
        (.defersAndFulfilsFromAnotherThread, 403),
        (.fulfilsInsideRespond, 409),
        (.fulfilsTwice, 409),
        (.returnsAndFulfils, 200),
        (.neitherAnswersNorDefers, 500),
        (.defersAndNeverFulfils, nil),
        (.expiresUnfulfilled, 304),
        (.fulfilsBeforeItExpires, 409),
    ]

    @Test(arguments: rows)
    func theCallerGetsTheAnswerAConnectionWouldWrite(behaviour: Behaviour, status: Int?) throws {
        let bytes = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var parser = RequestParser()
        guard case .complete(let request, _) = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else {
            Issue.record("the request did not parse")
            return
        }
        let answer = LocalExchange.answer(request, by: Responder(behaviour: behaviour), peer: "192.0.2.1:5",
                                          waitingAtMost: 200)
        #expect(answer?.response.status.code == status)
        if status != nil { #expect(answer?.responderTag == 7) }
        if behaviour == .returnsAtOnce { #expect(answer?.response.body == Array("192.0.2.1:5".utf8)) }
    }
}
