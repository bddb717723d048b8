import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShoalProtocol

/// A REST request's context: Hummingbird's, with AWS's largest request (a CreateFunction of a
/// 50 MiB zip in base64) as the upload limit instead of Hummingbird's 2 MiB.
package struct RESTRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage

    package init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }

    package var maxUploadSize: Int { 70_167_211 }
}

/// Adds `x-amzn-RequestId` to every answer and turns every error into AWS's REST error shape,
/// so an SDK always raises a named exception (a path no operation has included).
struct RESTMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = RESTError.unknownOperation(method: request.method.rawValue, path: request.uri.path).response
        } catch is NIOTooManyBytesError {
            response =
                RESTError("RequestEntityTooLargeException", status: 413, "Request must be smaller than \(context.maxUploadSize) bytes").response
        } catch let error as HTTPError {
            response = RESTError("InvalidParameterValueException", status: Int(error.status.code), error.body ?? error.status.reasonPhrase).response
        } catch {
            response = RESTError(any: error).response
        }
        response.headers[.amznRequestID] = RequestID.next()
        return response
    }
}

extension HTTPField.Name {
    static let amznRequestID = Self("x-amzn-RequestId")!
    static let amznErrorType = Self("x-amzn-ErrorType")!
    static let amzInvocationType = Self("X-Amz-Invocation-Type")!
    static let amzLogType = Self("X-Amz-Log-Type")!
    static let amzClientContext = Self("X-Amz-Client-Context")!
    static let amzExecutedVersion = Self("X-Amz-Executed-Version")!
    static let amzFunctionError = Self("X-Amz-Function-Error")!
    static let amzLogResult = Self("X-Amz-Log-Result")!
}

extension RESTError {
    /// The error as an HTTP response.
    var response: Response {
        Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The headers every REST error carries (botocore names the exception from the second).
    var headers: HTTPFields { [.contentType: "application/json", .amznErrorType: type] }
}

extension Response {
    /// A JSON body (AWS's member spelling), with `status`.
    static func json(_ bytes: [UInt8], status: Int = 200) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// No body: AWS's 202 and 204 answers.
    static func empty(_ status: Int) -> Response {
        Response(status: .init(code: status), headers: [.contentLength: "0"])
    }
}
