import CCurl

/// Process-wide libcurl setup.
///
/// `curl_global_init` is not thread-safe and must run once before any easy handle is made;
/// the invoker calls `CurlLibrary.initialize()` first, and a Swift `static let` runs it once.
public enum CurlLibrary {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK

    /// Initializes libcurl once per process; false if libcurl refused.
    @discardableResult
    public static func initialize() -> Bool { initialized }

    /// The linked libcurl's version, e.g. "7.88.1", for logs and `shoal worker --version`.
    public static var version: String {
        initialize()
        guard let info = shoal_curl_version_info() else { return "unknown" }
        return String(cString: info.pointee.version)
    }
}
