import ShoalLambda
import ShoalProtocol

/// The checks AWS Lambda makes of an invoke's content before any function runs, each
/// answered with InvalidRequestContentException as there: the payload must be one JSON text
/// (or nothing: the function then gets `{}`), and a client context base64 of a JSON object, at
/// most 3,583 characters of it. A suite that sends a malformed event thus fails at the call,
/// as it would against AWS, instead of inside the handler.
enum InvokeContent {
    /// AWS's limit on `ClientContext`, in characters of its base64.
    static let maximumClientContext = 3583

    /// Checks a decoded payload and the client context as the client sent it (base64).
    static func check(payload: [UInt8], clientContext: String?) throws(GatewayError) {
        if !payload.isEmpty, case .failure(let failure) = JSONSyntax.check(payload) {
            throw GatewayError(.invalidRequestContent, "Could not parse request body into json: Could not parse payload into json: \(failure)")
        }
        guard let clientContext else { return }
        guard clientContext.utf8.count <= maximumClientContext else {
            throw GatewayError(
                .invalidRequestContent, "Client context must be at most \(maximumClientContext) bytes of base64; it has \(clientContext.utf8.count)")
        }
        guard ClientContextHeader.object(base64: clientContext) != nil else {
            throw GatewayError(.invalidRequestContent, "Client context must be a valid Base64-encoded JSON object.")
        }
    }
}
