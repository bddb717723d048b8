import Logging

/// swift-log's `StreamLogHandler`, with metadata handed to it only when a message is written.
///
/// `StreamLogHandler` renders its metadata to text every time a value is set. Hummingbird sets
/// a request id on each request's logger, so every REST call paid for rendering metadata that
/// no message at the configured level ever printed (about 3% of the gateway's CPU under load,
/// by `perf`; docs/performance-log.md).
package struct LazyMetadataLogHandler: LogHandler {
    private var inner: StreamLogHandler
    package var metadata: Logger.Metadata = [:]

    package init(_ inner: StreamLogHandler) { self.inner = inner }

    package var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var handler = inner
        handler.metadata = metadata
        handler.log(event: event)
    }
}
