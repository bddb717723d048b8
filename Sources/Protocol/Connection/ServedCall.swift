/// One request being served: what its task needs to answer it.
struct ServedCall: Sendable {
    let context: RPCRequestContext
    /// Tells this request from a later one that reuses its id.
    let token: UInt64
    let entry: RPCMethodTable.RequestEntry
    let params: any Sendable
}
