import ShoalGateway
import Testing

/// How a REST request's function name, qualifier, region and account are checked, without a server.
struct RESTFunctionReferenceTests {
    @Test func eachFormOfANameResolvesToWhatTheServiceLooksUp() throws {
        #expect(try RESTFunctionReference.resolve("f", qualifier: nil, region: "us-east-1") == "f")
        #expect(try RESTFunctionReference.resolve("f", qualifier: "$LATEST", region: "us-east-1") == "f:$LATEST")
        #expect(try RESTFunctionReference.resolve("f:live", qualifier: "live", region: "us-east-1") == "f:live")
        #expect(try RESTFunctionReference.resolve("arn:aws:lambda:eu-west-1:000000000000:function:f", qualifier: nil, region: "eu-west-1") == "f")
        #expect(try RESTFunctionReference.resolve("000000000000:function:f:3", qualifier: nil, region: "us-east-1") == "f:3")
    }

    @Test func whatAWSRefusesIsRefusedWithItsError() {
        func refusal(_ text: String, qualifier: String? = nil, region: String = "us-east-1") -> (String, Int)? {
            do {
                _ = try RESTFunctionReference.resolve(text, qualifier: qualifier, region: region)
                return nil
            } catch {
                return (error.type, error.status)
            }
        }
        #expect(refusal("f:1", qualifier: "2").map { $0 == ("InvalidParameterValueException", 400) } == true)
        #expect(refusal("arn:aws:lambda:eu-west-1:000000000000:function:f").map { $0 == ("ResourceNotFoundException", 404) } == true)
        #expect(refusal("arn:aws:lambda:us-east-1:123456789012:function:f").map { $0 == ("AccessDeniedException", 403) } == true)
        #expect(refusal(String(repeating: "a", count: 141)).map { $0 == ("ValidationException", 400) } == true)
    }

    @Test func theRegionComesFromTheCredentialScope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKID/20261207/eu-central-1/lambda/aws4_request, SignedHeaders=host, Signature=abc"
        #expect(RESTFunctionReference.region(authorization: header) == "eu-central-1")
        #expect(RESTFunctionReference.region(authorization: nil) == nil)
        #expect(RESTFunctionReference.region(authorization: "Bearer x") == nil)
    }
}
