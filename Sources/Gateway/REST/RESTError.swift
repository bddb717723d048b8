import Foundation
import ShoalProtocol

/// An error as the AWS REST API sends it, and botocore reads it: the status, the exception name
/// in `x-amzn-ErrorType`, and a JSON body `{"Type", <message key>, "Reason"?}`. The message key
/// is `Message` for some exceptions and `message` for the rest, as AWS sends them.
package struct RESTError: Error, Sendable, Hashable {
    package var type: String
    package var status: Int
    package var message: String
    package var reason: String?

    package init(_ type: String, status: Int, _ message: String, reason: String? = nil) {
        self.type = type
        self.status = status
        self.message = RPCError.echo(message)
        self.reason = reason
    }

    /// The exceptions whose body spells the key `Message`.
    private static let capitalizedMessage: Set = ["ResourceNotFoundException", "ServiceException", "AccessDeniedException"]

    /// A JSON-RPC error (what the gateway service throws) as the REST error of the same meaning.
    package init(_ error: RPCError) {
        let reason = error.data?.reason
        switch error.code {
        // The service words a value that breaks a pattern or a length as AWS's unmodeled
        // ValidationException does; every other bad parameter is InvalidParameterValueException.
        case .invalidParams where error.message.hasPrefix("1 validation error detected"):
            self.init("ValidationException", status: 400, error.message)
        case .invalidParams: self.init("InvalidParameterValueException", status: 400, error.message)
        case .resourceNotFound: self.init("ResourceNotFoundException", status: 404, error.message)
        case .resourceConflict: self.init("ResourceConflictException", status: 409, error.message)
        case .requestTooLarge: self.init("RequestEntityTooLargeException", status: 413, error.message)
        case .invalidRequestContent: self.init("InvalidRequestContentException", status: 400, error.message)
        case .tooManyRequests: self.init("TooManyRequestsException", status: 429, error.message, reason: reason)
        case .serviceUnavailable, .notSent, .connectionClosed: self.init("ServiceUnavailableException", status: 503, error.message, reason: reason)
        default: self.init("ServiceException", status: 500, error.message, reason: reason)
        }
    }

    /// Any error a handler threw: the REST or service errors as they are, anything else a 500.
    package init(any error: any Error) {
        switch error {
        case let error as RESTError: self = error
        case let error as any RPCErrorConvertible: self.init(error.rpcError)
        case let error as RPCError: self.init(error)
        default: self.init("ServiceException", status: 500, "\(error)")
        }
    }

    /// A value that breaks a member's pattern, length or enum: AWS's (unmodeled) validation error.
    package static func validation(_ value: String, member: String, constraint: String) -> RESTError {
        RESTError(
            "ValidationException", status: 400,
            "1 validation error detected: Value '\(RPCError.echo(value))' at '\(member)' failed to satisfy constraint: \(constraint)")
    }

    /// A body that is not the JSON the operation takes.
    package static func badBody(_ detail: String) -> RESTError {
        RESTError("InvalidParameterValueException", status: 400, "Could not parse request body: \(detail)")
    }

    /// A synchronous invoke payload over AWS's 6 MiB, refused before anything runs.
    package static let syncPayloadTooLarge = RESTError(
        "RequestEntityTooLargeException", status: 413,
        "Request must be smaller than \(GatewayService.maximumSyncPayload) bytes for the InvokeFunction operation")

    /// A `RevisionId` that is not the resource's current one.
    package static let staleRevision = RESTError(
        "PreconditionFailedException", status: 412,
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

    /// A method and path that name no operation (the SDK then raises a named error).
    package static func unknownOperation(method: String, path: String) -> RESTError {
        RESTError("UnknownOperationException", status: 404, "Unknown operation: \(method) \(RPCError.echo(path))")
    }

    /// The JSON body.
    package var body: [UInt8] {
        var object: [String: String] = ["Type": status < 500 ? "User" : "Service"]
        object[Self.capitalizedMessage.contains(type) ? "Message" : "message"] = message
        if let reason { object["Reason"] = reason }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
